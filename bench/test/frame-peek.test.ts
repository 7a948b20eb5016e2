import { expect } from 'chai';
import fc from 'fast-check';
import { DeliveryReader, findTextKey, peekFrame } from '../src/load/frame-peek.js';
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

/**
 * The delivery fast path, stated again independently of it: the first `"text":"` after the
 * `new_message` prefix, then `<digits>[.<digits>]|<key>|` with no quote or backslash in the key.
 */
function reference(frame: Buffer): { sentAtMs: number; key: string } | undefined {
  const s = frame.toString('latin1');
  if (!s.startsWith('{"type":"new_message",')) return undefined;
  const at = s.indexOf('"text":"', '{"type":"new_message",'.length);
  if (at < 0) return undefined;
  const m = /^(\d+)(?:\.(\d*))?\|([^|"\\]*)\|/.exec(s.slice(at + '"text":"'.length));
  if (!m) return undefined;
  const fraction = m[2] ? Number(m[2]) / 10 ** m[2].length : 0;
  return { sentAtMs: Number(m[1]) + fraction, key: m[3]! };
}

/** Frame bodies made of the bytes that matter to the reader, so that near misses are common. */
const tokens = fc.constantFrom('"text":"', '"text"', '"', 'text', ':', '|', '.', '\\', '1', '17', '.5', 'x', '"id":"', ',', '"tex', 't":"');
const bodies = fc.array(tokens, { maxLength: 24 }).map((parts) => parts.join(''));
const deliveries = fc
  .tuple(
    bodies,
    fc.stringMatching(/^\d{1,15}$/),
    fc.option(fc.stringMatching(/^\d{0,15}$/)),
    fc.oneof(fc.constantFrom('0.1', '1.12', '1.13', '', 'w2-77'), fc.stringMatching(/^[0-9a-z.-]{0,40}$/)),
    bodies,
  )
  .map(
    ([before, whole, fraction, key, after]) =>
      `{"type":"new_message",${before}"text":"${whole}${fraction === null ? '' : `.${fraction}`}|${key}|${after}`,
  );
const candidates = fc.oneof(
  bodies.map((body) => `{"type":"new_message",${body}`),
  deliveries,
  // Cut anywhere: the bytes after the cut (stale ones in the read buffer) must not complete it.
  fc.tuple(deliveries, fc.nat()).map(([text, n]) => text.slice(0, n % (text.length + 1))),
  bodies,
);

/** A delivery as the gateway writes it (ids first, the text after them). */
const delivery = (key: string) =>
  `{"type":"new_message","message":{"id":"0190c0de-0000-7000-8000-000000000009","chat_id":"0190c0de-0000-7000-8000-000000000001","sender_id":"0190c0de-0000-7000-8000-000000000002","text":"${messageText(1796000000123.456, key, 100)}","created_at":"2026-12-01T12:00:00.000Z","seq":3,"updated_at":null}}`;

describe('DeliveryReader (the load generator read of every delivery)', () => {
  it('finds the first "text":" exactly as indexOf does, at any start', () => {
    fc.assert(
      fc.property(bodies, fc.nat(30), (body, from) => {
        const buf = Buffer.from(body, 'latin1');
        expect(findTextKey(buf, from, buf.length)).to.equal(buf.indexOf('"text":"', from) >= from ? buf.indexOf('"text":"', from) : -1);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads what the reference reads, and declines what it declines, in place between stale bytes', () => {
    const reader = new DeliveryReader();
    fc.assert(
      fc.property(fc.array(candidates, { minLength: 1, maxLength: 8 }), fc.nat(20), (frames, pad) => {
        for (const text of frames) {
          const frame = Buffer.from(text, 'latin1');
          // What lies around the frame in the read buffer must not be read: "|" and digits there
          // would complete a cut frame.
          const readBuffer = Buffer.alloc(frame.length + 2 * pad + 4, '1|"text":"1|k|');
          frame.copy(readBuffer, pad);
          const expected = reference(frame);
          const read = reader.read(readBuffer, pad, pad + frame.length);
          expect(read, text).to.equal(expected !== undefined);
          if (expected) expect({ sentAtMs: reader.sentAtMs, key: reader.key }, text).to.deep.equal(expected);
          expect(peekFrame(frame).key, text).to.equal(expected?.key);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the right key whatever keys it read before (remembered ones, colliding ones, long ones)', () => {
    const reader = new DeliveryReader();
    const delivery = (key: string) => frame({ type: 'new_message', message: { id: 'i', text: messageText(1000.25, key, 60) } });
    expect(reader.read(delivery('1.12'), 0, delivery('1.12').length)).to.equal(true);
    const first = reader.key;
    expect(reader.read(delivery('1.12'), 0, delivery('1.12').length)).to.equal(true);
    expect(reader.key).to.equal(first);
    // Same length, one byte apart; then shorter and longer; then back.
    for (const key of ['1.13', '1.1', '1.123', '1.12', '9.12']) {
      const buf = delivery(key);
      expect(reader.read(buf, 0, buf.length)).to.equal(true);
      expect(reader.key).to.equal(key);
      expect(reader.sentAtMs).to.equal(1000.25);
    }
    // A key too long to remember is read every time.
    const long = 'k'.repeat(80);
    for (let i = 0; i < 2; i++) {
      const buf = delivery(long);
      expect(reader.read(buf, 0, buf.length)).to.equal(true);
      expect(reader.key).to.equal(long);
    }
    const after = delivery('1.12');
    expect(reader.read(after, 0, after.length)).to.equal(true);
    expect(reader.key).to.equal('1.12');
    // Two messages read in turns (a socket behind the server holds the next one too), among
    // 500 others: every key right, with as many slots as there are.
    const keys = Array.from({ length: 500 }, (_, i) => `0.${i}`);
    for (let round = 0; round < 3; round++)
      for (const key of keys.flatMap((k, i) => [k, keys[(i + 1) % keys.length]!])) {
        const buf = delivery(key);
        expect(reader.read(buf, 0, buf.length)).to.equal(true);
        expect(reader.key).to.equal(key);
      }
  });

  it('makes one string per key of the messages in flight, however their deliveries interleave', () => {
    const reader = new DeliveryReader();
    // Two workers' keys (`<worker>.<counter>`), 40 messages in flight, each delivered to 50
    // members in an order that mixes them; then the next 40.
    for (const base of [1, 41, 1_000_001]) {
      const keys = Array.from({ length: 40 }, (_, i) => `${i % 2}.${base + i}`);
      const frames = keys.map((key) => Buffer.from(delivery(key)));
      const before = reader.keysMade;
      for (let member = 0; member < 50; member++)
        for (let i = 0; i < frames.length; i++) {
          const at = (i * 7 + member) % frames.length;
          expect(reader.read(frames[at]!, 0, frames[at]!.length)).to.equal(true);
          expect(reader.key).to.equal(keys[at]);
        }
      expect(reader.keysMade - before, `keys from ${base}`).to.be.at.most(44);
    }
  });

  it('declines a frame whose text runs past the bounds it was given', () => {
    const reader = new DeliveryReader();
    const whole = frame({ type: 'new_message', message: { text: messageText(77.5, '3.4', 20) } });
    const cut = whole.indexOf('|3.4|') + 4; // ends right before the closing bar
    expect(reader.read(whole, 0, cut)).to.equal(false);
    expect(reader.read(whole, 0, whole.length)).to.equal(true);
    expect(reader.key).to.equal('3.4');
  });
});
