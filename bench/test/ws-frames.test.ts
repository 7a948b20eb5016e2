import { expect } from 'chai';
import { CLOSE_CODE, FrameParser, MaskKeys, OPCODE, closePayload, encodeClientFrame, type FrameRefusal } from '../src/load/ws-frames.js';

type Event =
  | { kind: 'message'; binary: boolean; data: string }
  | { kind: 'ping' | 'pong'; data: string }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'refuse'; reason: FrameRefusal; code: number };

/** A parser that records what it finds (payloads as latin1 strings: byte-exact). */
function recorder(maxPayload?: number): { parser: FrameParser; events: Event[]; views: Buffer[] } {
  const events: Event[] = [];
  const views: Buffer[] = [];
  const parser = new FrameParser(
    {
      message: (buf, start, end, binary) => {
        expect(start).to.be.within(0, end);
        expect(end).to.be.at.most(buf.length);
        const data = buf.subarray(start, end);
        views.push(data);
        events.push({ kind: 'message', binary, data: data.toString('latin1') });
      },
      ping: (data) => events.push({ kind: 'ping', data: data.toString('latin1') }),
      pong: (data) => events.push({ kind: 'pong', data: data.toString('latin1') }),
      close: (code, reason) => events.push({ kind: 'close', code, reason: reason.toString('latin1') }),
      refuse: (reason, code) => events.push({ kind: 'refuse', reason, code }),
    },
    maxPayload,
  );
  return { parser, events, views };
}

interface FrameOptions {
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
  /** Writes this 64-bit length instead of the payload's. */
  length64?: bigint;
}

/** A server frame written independently of the code under test. */
function serverFrame(opcode: number, payload: Buffer | string, options: FrameOptions = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const { fin = true, rsv = 0, mask = false } = options;
  let header: Buffer;
  if (options.length64 !== undefined || body.length > 0xffff) {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(options.length64 ?? BigInt(body.length), 2);
  } else if (body.length >= 126) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(body.length, 2);
  } else {
    header = Buffer.alloc(2);
    header[1] = body.length;
  }
  header[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  if (!mask) return Buffer.concat([header, body]);
  header[1]! |= 0x80;
  const key = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([header, key, Buffer.from(body.map((b, i) => b ^ key[i & 3]!))]);
}

/** Reads one masked client frame as a server would. */
function decodeClientFrame(buf: Buffer): { fin: boolean; opcode: number; masked: boolean; payload: Buffer; headerSize: number } {
  const len7 = buf[1]! & 0x7f;
  const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  const masked = (buf[1]! & 0x80) !== 0;
  const length = len7 < 126 ? len7 : len7 === 126 ? buf.readUInt16BE(2) : Number(buf.readBigUInt64BE(2));
  const keyAt = 2 + extra;
  const from = keyAt + (masked ? 4 : 0);
  expect(buf.length, 'one whole frame').to.equal(from + length);
  const payload = Buffer.from(buf.subarray(from));
  if (masked) for (let i = 0; i < length; i++) payload[i] = payload[i]! ^ buf[keyAt + (i & 3)]!;
  return { fin: (buf[0]! & 0x80) !== 0, opcode: buf[0]! & 0x0f, masked, payload, headerSize: keyAt };
}

const pattern = (n: number, seed = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe('ws frames: server frame parser (load generator)', () => {
  const small = [
    serverFrame(OPCODE.text, ''),
    serverFrame(OPCODE.text, '{"type":"ready"}'),
    serverFrame(OPCODE.binary, pattern(125)),
    serverFrame(OPCODE.text, pattern(126, 7)),
    serverFrame(OPCODE.ping, 'are you there'),
    serverFrame(OPCODE.text, 'frag-1|', { fin: false }),
    serverFrame(OPCODE.ping, 'between fragments'),
    serverFrame(OPCODE.continuation, 'frag-2|', { fin: false }),
    serverFrame(OPCODE.continuation, '', { fin: false }),
    serverFrame(OPCODE.continuation, 'frag-3'),
    serverFrame(OPCODE.pong, 'p'),
    serverFrame(OPCODE.close, closePayload(4003, 'bye')),
  ];
  const smallExpected: Event[] = [
    { kind: 'message', binary: false, data: '' },
    { kind: 'message', binary: false, data: '{"type":"ready"}' },
    { kind: 'message', binary: true, data: pattern(125).toString('latin1') },
    { kind: 'message', binary: false, data: pattern(126, 7).toString('latin1') },
    { kind: 'ping', data: 'are you there' },
    { kind: 'ping', data: 'between fragments' },
    { kind: 'message', binary: false, data: 'frag-1|frag-2|frag-3' },
    { kind: 'pong', data: 'p' },
    { kind: 'close', code: 4003, reason: 'bye' },
  ];
  const smallStream = Buffer.concat(small);

  it('parses many frames in one chunk, each whole one as a view into that chunk (no copy)', () => {
    const { parser, events, views } = recorder();
    parser.push(smallStream);
    expect(events).to.deep.equal(smallExpected);
    // The unfragmented messages share the chunk's memory; the fragmented one was assembled.
    for (const view of views.slice(0, 4)) expect(view.buffer).to.equal(smallStream.buffer);
    expect(views[4]!.buffer).not.to.equal(smallStream.buffer);
  });

  it('parses only chunk[start, end) when given bounds, as from a read buffer with stale bytes around them', () => {
    for (let i = 0; i <= smallStream.length; i++) {
      const { parser, events } = recorder();
      // A read buffer bigger than the read, garbage before and after what was read.
      const readBuffer = Buffer.alloc(smallStream.length + 64, 0xee);
      smallStream.copy(readBuffer, 10, 0, i);
      parser.push(readBuffer, 10, 10 + i);
      readBuffer.fill(0xee);
      smallStream.copy(readBuffer, 5, i);
      parser.push(readBuffer, 5, 5 + smallStream.length - i);
      expect(events, `split at ${i}`).to.deep.equal(smallExpected);
    }
  });

  it('gives the same events for a split at every byte position, and for three-way splits', () => {
    for (let i = 0; i <= smallStream.length; i++) {
      const { parser, events } = recorder();
      parser.push(smallStream.subarray(0, i));
      parser.push(smallStream.subarray(i));
      expect(events, `split at ${i}`).to.deep.equal(smallExpected);
    }
    for (let i = 0; i < smallStream.length; i += 3) {
      for (let j = i; j <= smallStream.length; j += 5) {
        const { parser, events } = recorder();
        parser.push(smallStream.subarray(0, i));
        parser.push(smallStream.subarray(i, j));
        parser.push(smallStream.subarray(j));
        expect(events, `split at ${i}, ${j}`).to.deep.equal(smallExpected);
      }
    }
  });

  it('reads 7-, 16- and 64-bit lengths at 125 / 126 / 65535 / 65536, whole and split anywhere in and around the header', () => {
    for (const length of [125, 126, 65535, 65536, 70 * 1024]) {
      const payload = pattern(length, length);
      const frame = serverFrame(OPCODE.text, payload);
      expect(frame.length - length, `header of ${length}`).to.equal(length < 126 ? 2 : length <= 0xffff ? 4 : 10);
      const stream = Buffer.concat([frame, serverFrame(OPCODE.text, 'next')]);
      const positions = new Set<number>();
      for (let i = 0; i <= 16; i++) positions.add(i);
      for (let i = stream.length - 16; i <= stream.length; i++) positions.add(i);
      for (let i = 0; i < stream.length; i += 997) positions.add(i);
      for (const at of positions) {
        const { parser, events } = recorder();
        parser.push(stream.subarray(0, at));
        parser.push(stream.subarray(at));
        expect(events.length, `length ${length}, split at ${at}`).to.equal(2);
        expect(events[0]).to.deep.equal({ kind: 'message', binary: false, data: payload.toString('latin1') });
        expect(events[1]).to.deep.equal({ kind: 'message', binary: false, data: 'next' });
      }
    }
  });

  it('keeps nothing that points into a chunk after push returns (the reader reuses its buffer)', () => {
    const stream = Buffer.concat([
      serverFrame(OPCODE.text, 'first|', { fin: false }),
      serverFrame(OPCODE.continuation, 'second|', { fin: false }),
      serverFrame(OPCODE.continuation, 'third'),
      serverFrame(OPCODE.binary, pattern(300)),
    ]);
    for (let i = 1; i < stream.length; i++) {
      const { parser, events } = recorder();
      // One read buffer, overwritten with garbage after each push, as the socket reader does.
      const readBuffer = Buffer.alloc(stream.length);
      for (const [from, to] of [
        [0, i],
        [i, stream.length],
      ] as const) {
        stream.copy(readBuffer, 0, from, to);
        parser.push(readBuffer.subarray(0, to - from));
        readBuffer.fill(0xee);
      }
      expect(events, `split at ${i}`).to.deep.equal([
        { kind: 'message', binary: false, data: 'first|second|third' },
        { kind: 'message', binary: true, data: pattern(300).toString('latin1') },
      ]);
    }
  });

  it('assembles a 64 KiB frame fed one byte at a time', () => {
    const payload = pattern(65536, 3);
    const { parser, events } = recorder();
    const frame = serverFrame(OPCODE.binary, payload);
    for (let i = 0; i < frame.length; i++) parser.push(frame.subarray(i, i + 1));
    expect(events).to.deep.equal([{ kind: 'message', binary: true, data: payload.toString('latin1') }]);
  });

  it('reads a close frame without a code as 1005, and its code and reason otherwise', () => {
    const { parser, events } = recorder();
    parser.push(serverFrame(OPCODE.close, ''));
    parser.push(serverFrame(OPCODE.close, closePayload(1000, 'done')));
    expect(events).to.deep.equal([
      { kind: 'close', code: CLOSE_CODE.noStatus, reason: '' },
      { kind: 'close', code: 1000, reason: 'done' },
    ]);
  });

  const refusals: Array<[string, Buffer, FrameRefusal, number, number?]> = [
    ['a masked frame', serverFrame(OPCODE.text, 'hi', { mask: true }), 'ws_masked_frame', 1002],
    ['RSV1 set', serverFrame(OPCODE.text, 'hi', { rsv: 4 }), 'ws_reserved_bit', 1002],
    ['RSV3 set', serverFrame(OPCODE.text, 'hi', { rsv: 1 }), 'ws_reserved_bit', 1002],
    ['a reserved data opcode', serverFrame(0x3, 'hi'), 'ws_bad_opcode', 1002],
    ['a reserved control opcode', serverFrame(0xb, 'hi'), 'ws_bad_opcode', 1002],
    ['a fragmented ping', serverFrame(OPCODE.ping, 'x', { fin: false }), 'ws_bad_control_frame', 1002],
    ['a 126-byte ping', serverFrame(OPCODE.ping, pattern(126)), 'ws_bad_control_frame', 1002],
    ['a continuation with nothing to continue', serverFrame(OPCODE.continuation, 'x'), 'ws_bad_continuation', 1002],
    [
      'a new message inside a fragmented one',
      Buffer.concat([serverFrame(OPCODE.text, 'a', { fin: false }), serverFrame(OPCODE.text, 'b')]),
      'ws_bad_continuation',
      1002,
    ],
    ['a close frame with a 1-byte payload', serverFrame(OPCODE.close, 'x'), 'ws_bad_close_payload', 1002],
    ['a close frame with code 1006', serverFrame(OPCODE.close, closePayload(1006)), 'ws_bad_close_payload', 1002],
    ['a frame over the bound', serverFrame(OPCODE.text, pattern(1001)), 'ws_frame_too_big', 1009, 1000],
    [
      'fragments over the bound together',
      Buffer.concat([serverFrame(OPCODE.text, pattern(600), { fin: false }), serverFrame(OPCODE.continuation, pattern(600))]),
      'ws_frame_too_big',
      1009,
      1000,
    ],
    ['a 2^63-byte length', serverFrame(OPCODE.binary, '', { length64: 2n ** 63n }), 'ws_frame_too_big', 1009],
    ['a 17 MiB length under the default bound', serverFrame(OPCODE.binary, '', { length64: 17n << 20n }), 'ws_frame_too_big', 1009],
  ];
  for (const [what, bytes, reason, code, maxPayload] of refusals) {
    it(`refuses ${what} (${reason}, close ${code}) and reads nothing after it, even split byte by byte`, () => {
      for (const split of [false, true]) {
        const { parser, events } = recorder(maxPayload);
        const stream = Buffer.concat([bytes, serverFrame(OPCODE.text, 'after')]);
        if (split) for (let i = 0; i < stream.length; i++) parser.push(stream.subarray(i, i + 1));
        else parser.push(stream);
        expect(events.filter((e) => e.kind === 'refuse')).to.deep.equal([{ kind: 'refuse', reason, code }]);
        expect(events.at(-1)).to.deep.equal({ kind: 'refuse', reason, code });
        expect(parser.refused).to.equal(true);
      }
    });
  }
});

describe('ws frames: client framer (load generator)', () => {
  const masks = new MaskKeys();

  it('masks every frame and round-trips text (UTF-8) and binary payloads at 0 / 125 / 126 / 65535 / 65536 bytes', () => {
    for (const length of [0, 1, 5, 125, 126, 65535, 65536]) {
      const payload = pattern(length, 9);
      const frame = decodeClientFrame(encodeClientFrame(OPCODE.binary, payload, masks));
      expect(frame).to.include({ fin: true, opcode: OPCODE.binary, masked: true });
      expect(frame.headerSize, `length ${length}`).to.equal(length < 126 ? 2 : length <= 0xffff ? 4 : 10);
      expect(frame.payload.equals(payload), `payload of ${length}`).to.equal(true);
    }
    const text = '{"type":"message","text":"héllo ✓ 👋"}';
    const frame = decodeClientFrame(encodeClientFrame(OPCODE.text, text, masks));
    expect(frame.opcode).to.equal(OPCODE.text);
    expect(frame.payload.toString('utf8')).to.equal(text);
  });

  it('puts a payload on the wire XORed with a fresh key for each frame', () => {
    const payload = Buffer.alloc(64, 0x61);
    const a = encodeClientFrame(OPCODE.binary, payload, masks);
    const b = encodeClientFrame(OPCODE.binary, payload, masks);
    expect(a.subarray(6).equals(payload)).to.equal(false);
    expect(a.subarray(2, 6).equals(b.subarray(2, 6)), 'two frames, two keys').to.equal(false);
  });

  it('draws keys from a pool it refills when used up', () => {
    const small = new MaskKeys(2);
    const out = Buffer.alloc(4 * 6);
    for (let i = 0; i < 6; i++) small.next(out, i * 4);
    const keys = new Set(Array.from({ length: 6 }, (_, i) => out.toString('hex', i * 4, i * 4 + 4)));
    expect(keys.size).to.be.greaterThan(1);
    expect(out.subarray(8, 24).equals(Buffer.alloc(16)), 'keys after a refill are written').to.equal(false);
  });

  it('writes a close payload with its code, cut to fit a control frame; none for 1005', () => {
    expect(closePayload(1000, 'bench done').toString('latin1', 2)).to.equal('bench done');
    expect(closePayload(4008).readUInt16BE(0)).to.equal(4008);
    expect(closePayload(1000, 'x'.repeat(300)).length).to.equal(125);
    expect(closePayload(CLOSE_CODE.noStatus).length).to.equal(0);
    const frame = decodeClientFrame(encodeClientFrame(OPCODE.close, closePayload(1002, 'ws_masked_frame'), masks));
    expect(frame.opcode).to.equal(OPCODE.close);
    expect(frame.payload.readUInt16BE(0)).to.equal(1002);
  });
});
