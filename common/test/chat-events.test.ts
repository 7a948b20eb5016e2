import { expect } from 'chai';
import {
  clientFrameValidators,
  decodeChatEvent,
  frameForChatEvent,
  reactionDedupId,
  requireAllowed,
  sendDedupId,
  withReaction,
  type ChatEvent,
} from '@neonchat/common';

const chatId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b';
const messageId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5c';
const userId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5d';
const encode = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

describe('chat event module', () => {
  const added: ChatEvent = {
    type: 'reaction.added',
    chat_id: chatId,
    message_id: messageId,
    user_id: userId,
    emoji: '👍',
    at: '2026-12-01T00:00:00.000Z',
  };

  it('decodes only valid chat events', () => {
    expect(decodeChatEvent(encode(added))).to.deep.equal(added);
    expect(decodeChatEvent(encode('{not json'))).to.equal(undefined);
    expect(decodeChatEvent(encode({ ...added, type: 'reaction.toggled' }))).to.equal(undefined);
    expect(decodeChatEvent(encode({ ...added, emoji: 'lol' }))).to.equal(undefined);
  });

  it('maps every event type to its client frame', () => {
    expect(frameForChatEvent(added, 7)).to.deep.equal({
      type: 'reaction',
      op: 'add',
      chat_id: chatId,
      message_id: messageId,
      user_id: userId,
      emoji: '👍',
      seq: 7,
      at: added.at,
    });
    expect(frameForChatEvent({ ...added, type: 'reaction.removed' }, 8)).to.include({ type: 'reaction', op: 'remove', seq: 8 });
    const created: ChatEvent = {
      type: 'message.created',
      id: messageId,
      chat_id: chatId,
      sender_id: userId,
      text: 'hi',
      created_at: added.at,
    };
    expect(frameForChatEvent(created, 3)).to.deep.equal({
      type: 'new_message',
      message: { id: messageId, chat_id: chatId, sender_id: userId, text: 'hi', seq: 3, created_at: added.at, updated_at: null },
    });
  });

  it('keeps reaction and message dedup ids apart', () => {
    expect(reactionDedupId(chatId, userId, 'r1')).not.to.equal(sendDedupId(chatId, userId, 'r1'));
  });

  it('applies reaction changes idempotently, in order', () => {
    const a = withReaction(undefined, '👍', 'u1', true);
    expect(a).to.deep.equal([{ emoji: '👍', user_ids: ['u1'] }]);
    expect(withReaction(a, '👍', 'u1', true)).to.deep.equal(a);
    const b = withReaction(withReaction(a, '❤️', 'u2', true), '👍', 'u2', true);
    expect(b).to.deep.equal([
      { emoji: '👍', user_ids: ['u1', 'u2'] },
      { emoji: '❤️', user_ids: ['u2'] },
    ]);
    expect(withReaction(b, '👍', 'u1', false)).to.deep.equal([
      { emoji: '👍', user_ids: ['u2'] },
      { emoji: '❤️', user_ids: ['u2'] },
    ]);
    expect(withReaction(b, '❤️', 'u2', false)).to.deep.equal([{ emoji: '👍', user_ids: ['u1', 'u2'] }]);
    expect(withReaction(b, '🎉', 'u9', false)).to.deep.equal(b);
  });

  it('validates react frames: emoji bounded, no blanks, controls, markup or bidi tricks', () => {
    const ok = { type: 'react', chat_id: chatId, message_id: messageId, emoji: '👍', op: 'add', request_id: 'r1' };
    for (const emoji of ['👍', '❤️', '🇺🇦', '1️⃣', '👨‍👩‍👧', '👍🏽']) {
      expect(clientFrameValidators.react.check({ ...ok, emoji }), emoji).to.equal(true);
    }
    for (const emoji of ['', 'lol', '👍\u0000', ' 👍', '👍'.repeat(33), '<b>👍', '\u202e👍', '\ud83d', '\u200d']) {
      expect(clientFrameValidators.react.check({ ...ok, emoji }), JSON.stringify(emoji)).to.equal(false);
    }
    expect(clientFrameValidators.react.check({ ...ok, op: 'toggle' })).to.equal(false);
    expect(clientFrameValidators.react.check({ ...ok, message_id: 'x' })).to.equal(false);
  });

  it('maps refusals to errors in one place: strangers see not_found, the banned forbidden', () => {
    expect(() => requireAllowed('react', 'channel', { role: 'member', status: 'active' })).not.to.throw();
    expect(() => requireAllowed('react', 'channel', { role: 'member', status: 'banned' }))
      .to.throw()
      .with.property('code', 'forbidden');
    expect(() => requireAllowed('react', 'group', null))
      .to.throw()
      .with.property('code', 'not_found');
  });
});
