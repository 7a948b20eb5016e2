import { expect } from 'chai';
import { peekFrame } from '../src/load/frame-peek.js';
import { messageText, parseMessageText } from '../src/load/worker-protocol.js';

const frame = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('frame peek (load generator)', () => {
  it('reads the type and the bench prefix of a new_message text without a full parse', () => {
    const text = messageText(1234.5, '3.17', 100);
    const peeked = peekFrame(frame({ type: 'new_message', message: { id: 'x', text, seq: 5 } }));
    expect(peeked).to.deep.equal({ type: 'new_message', sentAtMs: 1234.5, key: '3.17' });
    // As the gateway writes it: ids first, the text after them; a key value in another field is no key.
    const spliced = Buffer.from(
      `{"type":"new_message","message":{"id":"a\\"text\\":\\"9|k|","chat_id":"c","text":"${messageText(1796000000123.456, 'w2-77', 60)}","seq":9,"updated_at":null}}`,
    );
    expect(JSON.parse(spliced.toString()).message.id).to.equal('a"text":"9|k|');
    const fast = peekFrame(spliced);
    expect(fast.key).to.equal('w2-77');
    expect(fast.sentAtMs).to.be.closeTo(1796000000123.456, 1e-3);
    // Not the bench's prefix: the general path reads it.
    const plain = peekFrame(frame({ type: 'new_message', message: { text: 'hello|there|x' } }));
    expect(plain).to.deep.equal({ type: 'new_message', textHead: 'hello|there|' });
    expect(parseMessageText(plain.textHead ?? '')).to.equal(undefined);
    expect(peekFrame(frame({ type: 'new_message', message: { text: '12|no-end' } })).sentAtMs).to.equal(undefined);
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
