import { expect } from 'chai';
import pg from 'pg';
import { NeonError, uuidv7, type MessageCreatedEvent } from '@neonchat/common';
import { testEnvironment } from '@neonchat/common/testing';
import type { ChatBus } from '../src/bus/chat-bus.js';
import { MemoryChatBus } from '../src/bus/memory-chat-bus.js';
import { MessageParts, mentionedNames } from '../src/message-parts.js';

describe('mentioned names (unit)', () => {
  it('finds @usernames where a name may stand, lower-cased, once each, not inside e-mail addresses', () => {
    expect(mentionedNames('hi @Bob_1, @bob_1 and @carol. mail x@dave.org, @ab too short')).to.deep.equal(['bob_1', 'carol']);
    expect(mentionedNames('no mentions here')).to.deep.equal([]);
    expect(mentionedNames(Array.from({ length: 80 }, (_, i) => `@user${i}`).join(' '))).to.have.length(50);
  });
});

describe('reply previews from the stream tail @integration', () => {
  let pool: pg.Pool;

  before(() => {
    pool = new pg.Pool({ connectionString: testEnvironment().databaseUrl, max: 2 });
  });

  after(async () => {
    await pool?.end();
  });

  it('reads the stream once for a burst of replies to a message not yet in PostgreSQL; a missing original is read and refused each time', async () => {
    const bus = new MemoryChatBus();
    let reads = 0;
    const counted: Pick<ChatBus, 'readRange'> = {
      readRange: (chatId, range, onRecord) => {
        reads += 1;
        return bus.readRange(chatId, range, onRecord);
      },
    };
    const parts = new MessageParts(pool, counted);
    // A chat nothing was persisted for: the original is only in the stream.
    const chatId = uuidv7();
    const senderId = uuidv7();
    const event: MessageCreatedEvent = {
      type: 'message.created',
      id: uuidv7(),
      chat_id: chatId,
      sender_id: senderId,
      text: 'fresh',
      created_at: new Date().toISOString(),
    };
    await bus.events.publish(event, `${chatId}:${senderId}:r1`);
    const burst = await Promise.all(Array.from({ length: 4 }, () => parts.replyPreview(chatId, event.id)));
    burst.push(await parts.replyPreview(chatId, event.id));
    expect(reads).to.equal(1);
    for (const p of burst)
      expect(p).to.deep.equal({ id: event.id, sender_id: senderId, text: 'fresh', deleted: false, attachments_count: 0 });
    const missing = uuidv7();
    for (let i = 0; i < 2; i++) {
      const err = await parts.replyPreview(chatId, missing).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NeonError).and.include({ code: 'not_found' });
    }
    expect(reads).to.equal(3);
    await bus.close();
  });
});
