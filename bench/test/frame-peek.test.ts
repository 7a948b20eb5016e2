import { expect } from 'chai';
import { peekFrame } from '../src/load/frame-peek.js';
import { messageText, parseMessageText } from '../src/load/worker-protocol.js';

const frame = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('frame peek (load generator)', () => {
  it('reads the type and the bench prefix of a new_message text without a full parse', () => {
    const text = messageText(1234.5, '3.17', 100);
    const peeked = peekFrame(frame({ type: 'new_message', message: { id: 'x', text, seq: 5 } }));
    expect(peeked.type).to.equal('new_message');
    expect(parseMessageText(peeked.textHead ?? '')).to.deep.equal({ sentAtMs: 1234.5, key: '3.17' });
  });

  it("reads message_sent's request_id, and error frames in full", () => {
    expect(peekFrame(frame({ type: 'message_sent', request_id: '1.2', message: { text: 'a|b|c' } })).requestId).to.equal('1.2');
    expect(peekFrame(frame({ type: 'error', code: 'rate_limited', request_id: 'r' }))).to.deep.include({
      type: 'error',
      code: 'rate_limited',
      requestId: 'r',
    });
  });

  it('falls back to a full parse when type is not first or a string is escaped, and survives garbage', () => {
    expect(peekFrame(frame({ request_id: 'q', type: 'message_sent' }))).to.deep.include({ type: 'message_sent', requestId: 'q' });
    expect(peekFrame(frame({ type: 'new_message', message: { text: 'a"b' } })).textHead).to.equal('a"b');
    expect(peekFrame(Buffer.from('{"type":"ready"}')).type).to.equal('ready');
    expect(peekFrame(Buffer.from('not json')).type).to.equal(undefined);
  });
});
