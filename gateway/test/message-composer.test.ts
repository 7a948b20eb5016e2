import { expect } from 'chai';
import { NeonError, type AttachmentRef, type ReplyPreview } from '@neonchat/common';
import { MessageComposer, type MessageDraft } from '../src/messages/message-composer.js';
import { ReplyPreviewCache } from '../src/messages/reply-preview-cache.js';

const chatId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b';
const sender = '0190a7b2-1c3d-7e4f-8a9b-00000000a11c';
const bob = '0190a7b2-1c3d-7e4f-8a9b-000000000b0b';
const original = '0190a7b2-1c3d-7e4f-8a9b-0000000000aa';
const upload = '0190a7b2-1c3d-7e4f-8a9b-0000000000f1';
const NOW = Date.parse('2026-12-08T01:00:00.000Z');

const preview: ReplyPreview = { id: original, sender_id: bob, text: 'the question', deleted: false, attachments_count: 0 };
const ref: AttachmentRef = { id: upload, name: 'photo.jpg', size: 10, content_type: 'image/jpeg', kind: 'image', has_thumbnail: false };

/** A composer over recording stand-ins: what was asked, in order. */
function composer(overrides: { refuseAdmit?: boolean; replyError?: NeonError } = {}) {
  const calls: string[] = [];
  const c = new MessageComposer({
    parts: {
      replyPreview: async (chat, id) => {
        calls.push(`reply ${chat} ${id}`);
        if (overrides.replyError) throw overrides.replyError;
        return { ...preview };
      },
      mentions: async (_chat, _sender, text) => {
        calls.push(`mentions ${text}`);
        return text.includes('@bob') ? [bob] : undefined;
      },
    },
    attachments: {
      claim: async (senderId, sendId, ids) => {
        calls.push(`claim ${senderId} ${sendId} ${ids.join(',')}`);
        return [ref];
      },
    },
    admitPublish: () => {
      calls.push('admit');
      if (overrides.refuseAdmit) throw new NeonError('unavailable', 'gateway is behind');
    },
    now: () => NOW,
  });
  return { c, calls };
}

const draft = (d: Partial<MessageDraft> = {}): MessageDraft => ({ chatId, senderId: sender, text: 'hello', requestId: 'r1', ...d });

describe('message composer (unit)', () => {
  it('composes a plain message with no lookups: the event, its JSON and the dedup id', async () => {
    const { c, calls } = composer();
    const { event, json, dedupId } = await c.compose(draft());
    expect(calls).to.deep.equal(['admit']);
    expect(event).to.deep.include({
      type: 'message.created',
      chat_id: chatId,
      sender_id: sender,
      text: 'hello',
      created_at: '2026-12-08T01:00:00.000Z',
    });
    expect(event).to.not.have.any.keys('reply_to', 'mentions', 'attachments');
    expect(event.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(JSON.parse(json)).to.deep.equal(event);
    expect(dedupId).to.equal(`${chatId}:${sender}:r1`);
  });

  it('resolves the reply preview and the mentions before the overload check, and claims uploads after it under the dedup id', async () => {
    const { c, calls } = composer();
    const { event } = await c.compose(draft({ text: 'hi @bob', replyTo: original, attachments: [upload] }));
    expect(calls).to.deep.equal([
      `reply ${chatId} ${original}`,
      'mentions hi @bob',
      'admit',
      `claim ${sender} ${chatId}:${sender}:r1 ${upload}`,
    ]);
    expect(event.reply_to).to.deep.equal(preview);
    expect(event.mentions).to.deep.equal([bob]);
    expect(event.attachments).to.deep.equal([ref]);
  });

  it('leaves out mentions that name nobody, and asks for them when the text has an @ only', async () => {
    const { c, calls } = composer();
    const { event } = await c.compose(draft({ text: 'mail me at x@y.org' }));
    expect(calls).to.deep.equal(['mentions mail me at x@y.org', 'admit']);
    expect(event).to.not.have.any.keys('mentions', 'reply_to');
  });

  it('claims nothing when the gateway is behind, and nothing when the reply is refused', async () => {
    const behind = composer({ refuseAdmit: true });
    const err = await behind.c.compose(draft({ attachments: [upload] })).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NeonError).and.include({ code: 'unavailable' });
    expect(behind.calls).to.deep.equal(['admit']);
    const refused = composer({ replyError: new NeonError('not_found', 'reply_to: no such message in this chat') });
    const notFound = await refused.c.compose(draft({ replyTo: original, attachments: [upload] })).catch((e: unknown) => e);
    expect(notFound).to.be.instanceOf(NeonError).and.include({ code: 'not_found' });
    expect(refused.calls.some((call) => call.startsWith('claim') || call === 'admit')).to.equal(false);
  });
});

describe('reply preview cache (unit)', () => {
  it('shares one read among concurrent misses and reuses it after, handing out copies', async () => {
    const cache = new ReplyPreviewCache({ max: 10, ttlMs: 60_000 });
    let reads = 0;
    const read = async () => {
      reads += 1;
      await new Promise((r) => setTimeout(r, 5));
      return { ...preview };
    };
    const burst = await Promise.all(Array.from({ length: 5 }, () => cache.preview(chatId, original, read)));
    const later = await cache.preview(chatId, original, read);
    expect(reads).to.equal(1);
    for (const p of [...burst, later]) expect(p).to.deep.equal(preview);
    burst[0]!.text = 'changed by one reply';
    expect((await cache.preview(chatId, original, read)).text).to.equal('the question');
  });

  it('keeps no refusal: the next reply reads again', async () => {
    const cache = new ReplyPreviewCache({ max: 10, ttlMs: 60_000 });
    let reads = 0;
    const missing = async (): Promise<ReplyPreview> => {
      reads += 1;
      throw new NeonError('not_found', 'reply_to: no such message in this chat');
    };
    for (let i = 0; i < 2; i++) {
      const err = await cache.preview(chatId, original, missing).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NeonError).and.include({ code: 'not_found' });
    }
    expect(reads).to.equal(2);
    expect(cache.size).to.equal(0);
  });

  it('is bounded: the least recently used preview goes first, and entries expire', async () => {
    const cache = new ReplyPreviewCache({ max: 2, ttlMs: 30 });
    const reads: string[] = [];
    const reader = (id: string) => async () => {
      reads.push(id);
      return { ...preview, id };
    };
    for (const id of ['a', 'b', 'c', 'a']) await cache.preview(chatId, id, reader(id));
    expect(reads, 'a was evicted by c').to.deep.equal(['a', 'b', 'c', 'a']);
    expect(cache.size).to.equal(2);
    await new Promise((r) => setTimeout(r, 60));
    await cache.preview(chatId, 'a', reader('a'));
    expect(reads.at(-1), 'read again once expired').to.equal('a');
    expect(reads).to.have.length(5);
  });
});
