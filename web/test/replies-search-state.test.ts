import { expect } from 'chai';
import type { Message } from '@neonchat/common/contracts';
import { MessageJump } from '../src/messenger/message-jump.js';
import type { HistoryPage, RestClient } from '../src/net/rest-client.js';
import { ChatTimeline } from '../src/state/chat-timeline.js';
import { insertMention, matchingMembers, mentionQueryAt, splitMentions } from '../src/state/mention-token.js';
import { mentionsUser, quoteText, replyCountText } from '../src/state/message-parts.js';
import { MessengerState } from '../src/state/messenger-state.js';
import { snippetRuns } from '../src/state/search-snippet.js';

const CHAT = '0190a0a0-0000-7000-8000-0000000000c1';
const ME = { id: '0190a0a0-0000-7000-8000-000000000001', username: 'alice' };
const BOB = '0190a0a0-0000-7000-8000-000000000002';

function msg(seq: number, extra: Partial<Message> = {}): Message {
  return {
    id: `0190a0a0-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    chat_id: CHAT,
    sender_id: BOB,
    text: `message ${seq}`,
    seq,
    created_at: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
    updated_at: null,
    ...extra,
  };
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));

describe('web: mention tokens', () => {
  it('finds the @name being typed at the caret, not an e-mail address or a finished one', () => {
    expect(mentionQueryAt('hi @bo', 6)).to.deep.equal({ start: 3, query: 'bo' });
    expect(mentionQueryAt('@', 1)).to.deep.equal({ start: 0, query: '' });
    expect(mentionQueryAt('(@al', 4)).to.deep.equal({ start: 1, query: 'al' });
    expect(mentionQueryAt('mail bob@example', 16), 'glued to a word').to.equal(null);
    expect(mentionQueryAt('@@bob', 5), 'glued to another @').to.equal(null);
    expect(mentionQueryAt('@bob hi', 7), 'a space ended it').to.equal(null);
    expect(mentionQueryAt('@bob', 0), 'caret before the @').to.equal(null);
    expect(mentionQueryAt(`@${'a'.repeat(51)}`, 52), 'longer than a username').to.equal(null);
    expect(mentionQueryAt('привет @бо', 10), 'not username characters').to.equal(null);
  });

  it('inserts @username and a space, keeping the rest of the text', () => {
    expect(insertMention('hi @bo', { start: 3, query: 'bo' }, 'bob')).to.deep.equal({ text: 'hi @bob ', caret: 8 });
    expect(insertMention('hi @b there', { start: 3, query: 'b' }, 'bob')).to.deep.equal({ text: 'hi @bob there', caret: 8 });
    expect(insertMention('@xyz', { start: 0, query: '' }, 'carol')).to.deep.equal({ text: '@carol xyz', caret: 7 });
  });

  it('offers the members whose name starts with the query, in any case, never me, at most 8', () => {
    const members = [
      { user_id: ME.id, username: 'alice' },
      { user_id: BOB, username: 'Bob' },
      { user_id: 'x', username: 'bobby' },
      { user_id: 'y', username: 'carol' },
    ];
    expect(matchingMembers(members, 'bo', ME.id).map((m) => m.username)).to.deep.equal(['Bob', 'bobby']);
    expect(matchingMembers(members, '', ME.id).map((m) => m.username)).to.deep.equal(['Bob', 'bobby', 'carol']);
    expect(matchingMembers(members, 'al', ME.id)).to.deep.equal([]);
    const many = Array.from({ length: 20 }, (_, i) => ({ user_id: `u${i}`, username: `user${String(i).padStart(2, '0')}` }));
    expect(matchingMembers(many, 'user', ME.id)).to.have.length(8);
  });

  it('splits a text into plain runs and the mentions the server resolved', () => {
    expect(splitMentions('hi @Bob and @eve.', new Set(['bob']))).to.deep.equal([
      { text: 'hi ' },
      { text: '@Bob', mention: 'bob' },
      { text: ' and @eve.' },
    ]);
    expect(splitMentions('see @bob.', new Set(['bob']))).to.deep.equal([{ text: 'see ' }, { text: '@bob', mention: 'bob' }, { text: '.' }]);
    expect(splitMentions('mail bob@bob.com', new Set(['bob.com', 'bob']))).to.deep.equal([{ text: 'mail bob@bob.com' }]);
    expect(splitMentions('no mentions', new Set())).to.deep.equal([{ text: 'no mentions' }]);
  });
});

describe('web: search snippets', () => {
  it('reads only <mark> as markup and decodes the escaped text', () => {
    expect(snippetRuns('a <mark>message</mark> &amp; &lt;b&gt;x&lt;/b&gt;')).to.deep.equal([
      { text: 'a ', mark: false },
      { text: 'message', mark: true },
      { text: ' & <b>x</b>', mark: false },
    ]);
  });

  it('leaves any other tag as literal text and never double-decodes', () => {
    expect(snippetRuns('<img src=x onerror=alert(1)> <mark>hi</mark>')).to.deep.equal([
      { text: '<img src=x onerror=alert(1)> ', mark: false },
      { text: 'hi', mark: true },
    ]);
    expect(snippetRuns('&amp;lt;mark&amp;gt;')).to.deep.equal([{ text: '&lt;mark&gt;', mark: false }]);
    expect(snippetRuns('&lt;mark&gt;not a mark&lt;/mark&gt;')).to.deep.equal([{ text: '<mark>not a mark</mark>', mark: false }]);
    expect(snippetRuns('')).to.deep.equal([]);
  });
});

describe('web: message parts', () => {
  it('words a quote: text, deleted, files', () => {
    const base = { id: 'i', sender_id: BOB, text: 'hello', deleted: false, attachments_count: 0 };
    expect(quoteText(base)).to.equal('hello');
    expect(quoteText({ ...base, text: '', deleted: true })).to.equal('Deleted message');
    expect(quoteText({ ...base, text: '', attachments_count: 2 })).to.equal('📎 2 files');
    expect(quoteText({ ...base, attachments_count: 1 })).to.equal('📎 1 file · hello');
    expect(replyCountText(undefined)).to.equal('');
    expect(replyCountText(1)).to.equal('1 reply');
    expect(replyCountText(3)).to.equal('3 replies');
  });

  it('calls a message mine to see when it mentions me and someone else sent it', () => {
    expect(mentionsUser(msg(1, { mentions: [ME.id] }), ME.id)).to.equal(true);
    expect(mentionsUser(msg(1, { mentions: [BOB] }), ME.id)).to.equal(false);
    expect(mentionsUser(msg(1), ME.id)).to.equal(false);
  });

  it('counts a live reply on its original, and shows the original edited or deleted in its quotes', () => {
    const t = new ChatTimeline(CHAT);
    const original = msg(1);
    const preview = { id: original.id, sender_id: BOB, text: 'message 1', deleted: false, attachments_count: 0 };
    t.upsert([original, msg(2, { reply_to: preview })]);
    expect(t.countReply(msg(3, { reply_to: preview }))).to.equal(true);
    expect(t.messages[0]!.reply_count).to.equal(1);
    t.edit(original.id, 'changed', new Date().toISOString(), 4);
    expect(t.messages[1]!.reply_to?.text).to.equal('changed');
    t.remove(original.id, 5);
    expect(t.messages[0]!.reply_to).to.include({ deleted: true, text: '' });
  });
});

describe('web: jumping to a message', () => {
  /** A RestClient standing in for the network: history pages cut from `stored` (seq 1..stored). */
  function fakeRest(stored: number) {
    const all = range(1, stored);
    const calls: string[] = [];
    const page = (messages: Message[], hasPrevious: boolean, hasNext: boolean): HistoryPage => ({
      messages,
      has_previous: hasPrevious,
      has_next: hasNext,
    });
    const rest = {
      aroundMessages: async (_chat: string, seq: number, limit: number) => {
        calls.push(`around ${seq}`);
        const i = all.findIndex((m) => m.seq >= seq);
        const from = Math.max(0, i - Math.floor(limit / 2));
        const to = Math.min(all.length, from + limit);
        return page(all.slice(from, to), from > 0, to < all.length);
      },
      newerMessages: async (_chat: string, afterId: string, limit: number) => {
        calls.push(`after ${limit}`);
        const i = all.findIndex((m) => m.id === afterId) + 1;
        return page(all.slice(i, i + limit), true, i + limit < all.length);
      },
      history: async (_chat: string, limit: number) => page(all.slice(-limit), all.length > limit, false),
    } as unknown as RestClient;
    return { rest, calls };
  }

  async function jumpIn(stored: number, held: number, target: number, withSeq: boolean) {
    const state = new MessengerState(ME, () => {});
    state.current = CHAT;
    const t = state.timeline(CHAT);
    t.upsert(range(stored - held + 1, stored));
    t.loaded = true;
    t.hasPrevious = true;
    const { rest, calls } = fakeRest(stored);
    const renders: string[] = [];
    const jump = new MessageJump({
      state,
      rest,
      openChat: async () => {},
      render: (s) => renders.push(s),
      loading: { loadingOlder: false },
      focus: () => {},
    });
    await jump.jump(CHAT, msg(target).id, withSeq ? target : undefined);
    return { state, t, calls, renders, jump };
  }

  it('joins the page around a message to the held ones when they are a few pages apart', async () => {
    const { state, t, calls, renders } = await jumpIn(300, 20, 100, true);
    expect(calls[0]).to.equal('around 100');
    expect(state.highlighted).to.equal(msg(100).id);
    expect(renders).to.deep.equal(['highlight']);
    expect(t.hasNext).to.equal(false);
    expect(t.messages.map((m) => m.seq)).to.deep.equal(range(75, 300).map((m) => m.seq));
    expect(t.hasPrevious).to.equal(true);
  });

  it('holds the page alone, with newer ones to load, when it is too far back to join', async () => {
    const { t, jump, state } = await jumpIn(2000, 20, 10, true);
    expect(t.hasNext).to.equal(true);
    expect(t.messages[0]!.seq).to.equal(1);
    expect(t.hasPrevious).to.equal(false);
    expect(t.messages.at(-1)!.seq).to.be.below(1981);
    const before = t.messages.length;
    await jump.loadNewer();
    expect(t.messages.length).to.equal(before + 50);
    expect(state.highlighted).to.equal(msg(10).id);
  });

  it('finds a quoted original by the message after it (its seq unknown)', async () => {
    const { state, calls, t } = await jumpIn(300, 20, 40, false);
    expect(calls.slice(0, 2)).to.deep.equal(['after 1', 'around 41']);
    expect(state.highlighted).to.equal(msg(40).id);
    expect(t.has(msg(40).id)).to.equal(true);
  });

  it('only highlights a message already on screen', async () => {
    const { calls, state } = await jumpIn(300, 20, 290, true);
    expect(calls).to.deep.equal([]);
    expect(state.highlighted).to.equal(msg(290).id);
  });
});
