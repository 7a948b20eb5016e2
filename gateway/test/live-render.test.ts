import { expect } from 'chai';
import { frameForChatEvent, uuidv7, type MessageCreatedEvent } from '@neonchat/common';
import { renderCreatedFromBytes } from '../src/live-feed.js';

describe('live feed: a new message frame spliced from the stored bytes', () => {
  const chatId = uuidv7();
  const event: MessageCreatedEvent = {
    type: 'message.created',
    id: uuidv7(),
    chat_id: chatId,
    sender_id: uuidv7(),
    text: 'quotes " and \\ and "chat_id":"x" and "seq":1 and ünïcödé 🎉',
    created_at: new Date().toISOString(),
  };

  it('is the same frame as parse → frameForChatEvent → stringify', () => {
    const rendered = renderCreatedFromBytes(JSON.stringify(event), chatId, 42);
    expect(rendered?.type).to.equal('new_message');
    expect(JSON.parse(rendered!.data)).to.deep.equal(frameForChatEvent(event, 42));
  });

  it('declines (so the caller parses and validates) anything not in our publishers’ shape or not of this chat', () => {
    const json = JSON.stringify(event);
    expect(renderCreatedFromBytes(json, uuidv7(), 1)).to.equal(undefined);
    expect(renderCreatedFromBytes(JSON.stringify({ ...event, type: 'message.updated' }), chatId, 1)).to.equal(undefined);
    expect(renderCreatedFromBytes(` ${json}`, chatId, 1)).to.equal(undefined);
    expect(renderCreatedFromBytes(json.slice(0, -1), chatId, 1)).to.equal(undefined);
    expect(renderCreatedFromBytes(JSON.stringify({ ...event, seq: 7 }), chatId, 1)).to.equal(undefined);
    expect(renderCreatedFromBytes(JSON.stringify({ ...event, updated_at: null }), chatId, 1)).to.equal(undefined);
  });
});
