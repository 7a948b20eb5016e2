/**
 * RFC 6455 framing for the load generator's own WebSocket client (`raw-ws-client.ts`): an
 * incremental parser of server frames and a framer of masked client frames. Built for cost
 * per received frame: a frame that lies whole in one chunk is handed on as its bounds in that
 * chunk (no copy, and no view object either); only a frame that spans chunks is assembled.
 * Nothing is kept that points into a chunk after `push` returns (the reader may reuse its
 * buffer). No extensions are ever negotiated, so every reserved bit must be 0.
 */
import { randomFillSync } from 'node:crypto';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Close codes of RFC 6455 §7.4.1 the client uses. */
export const CLOSE_CODE = { normal: 1000, protocolError: 1002, noStatus: 1005, abnormal: 1006, tooBig: 1009 } as const;

/** Largest frame (and reassembled message) accepted; a gateway frame is a few KiB at most. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/** Largest header: 2 bytes, 8 of extended length, 4 of mask key. */
const MAX_HEADER = 14;
const MAX_CONTROL_PAYLOAD = 125;

/** Why a server's frames were refused; the client counts it under this code. */
export type FrameRefusal =
  | 'ws_masked_frame'
  | 'ws_reserved_bit'
  | 'ws_bad_opcode'
  | 'ws_bad_control_frame'
  | 'ws_bad_continuation'
  | 'ws_bad_close_payload'
  | 'ws_frame_too_big';

export interface FrameSink {
  /**
   * A whole message (text or binary): `buf[start, end)`. `buf` is the chunk the socket read
   * when the message lay whole in it, else a buffer of its own; valid during the call only.
   */
  message(buf: Buffer, start: number, end: number, binary: boolean): void;
  ping(payload: Buffer): void;
  pong(payload: Buffer): void;
  /** The server's close frame: its code (1005 when it carried none) and reason bytes. */
  close(code: number, reason: Buffer): void;
  /** The stream broke the protocol; the parser reads nothing more. */
  refuse(reason: FrameRefusal, closeCode: number): void;
}

/** Incremental parser of the frames a server sends (unmasked). Feed it chunks with `push`. */
export class FrameParser {
  /** Bytes of a header that was cut by a chunk boundary. */
  private readonly head = Buffer.allocUnsafe(MAX_HEADER);
  private headBytes = 0;
  /** The frame whose payload spans chunks, while it is being assembled. */
  private assembling: Buffer | undefined;
  private assembled = 0;
  private assemblingFin = false;
  private assemblingOpcode = 0;
  /** Opcode and parts of a fragmented message (between its first frame and its FIN). */
  private fragmentOpcode = -1;
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private failed = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxPayload = DEFAULT_MAX_PAYLOAD,
  ) {}

  /** True once the stream broke the protocol (everything after is ignored). */
  get refused(): boolean {
    return this.failed;
  }

  /** Parses `chunk[start, end)` (all of it by default). */
  push(chunk: Buffer, start = 0, end = chunk.length): void {
    let at = start;
    while (at < end && !this.failed) {
      if (this.assembling) {
        at = this.fill(chunk, at, end);
        continue;
      }
      let fin: boolean;
      let opcode: number;
      let length: number;
      if (this.headBytes > 0) {
        // The header's start came in the previous chunk: top it up (a header is ≤ 14 bytes,
        // so the rest of it is within the next 14 - headBytes bytes).
        const take = Math.min(MAX_HEADER - this.headBytes, end - at);
        chunk.copy(this.head, this.headBytes, at, at + take);
        const size = this.headerSize(this.head, 0, this.headBytes + take);
        if (size < 0) {
          if (size === -2) return;
          this.headBytes += take;
          return; // still short, and the chunk is used up
        }
        fin = (this.head[0]! & 0x80) !== 0;
        opcode = this.head[0]! & 0x0f;
        length = this.payloadLength(this.head, 0);
        at += size - this.headBytes;
        this.headBytes = 0;
      } else {
        const size = this.headerSize(chunk, at, end - at);
        if (size < 0) {
          if (size === -2) return;
          chunk.copy(this.head, 0, at, end);
          this.headBytes = end - at;
          return;
        }
        fin = (chunk[at]! & 0x80) !== 0;
        opcode = chunk[at]! & 0x0f;
        length = this.payloadLength(chunk, at);
        at += size;
      }
      if (!this.checkFrame(fin, opcode, length)) return;
      if (end - at >= length) {
        // The hot path: a data frame whole in this chunk goes on as its bounds, no view made.
        if (fin && (opcode === OPCODE.text || opcode === OPCODE.binary))
          this.sink.message(chunk, at, at + length, opcode === OPCODE.binary);
        else this.frame(fin, opcode, chunk.subarray(at, at + length));
        at += length;
      } else {
        this.assembling = Buffer.allocUnsafe(length);
        this.assembled = 0;
        this.assemblingFin = fin;
        this.assemblingOpcode = opcode;
      }
    }
  }

  /** Copies what `chunk` holds of the frame being assembled; hands the frame on when whole. */
  private fill(chunk: Buffer, at: number, end: number): number {
    const target = this.assembling!;
    const n = Math.min(target.length - this.assembled, end - at);
    chunk.copy(target, this.assembled, at, at + n);
    this.assembled += n;
    if (this.assembled === target.length) {
      this.assembling = undefined;
      this.frame(this.assemblingFin, this.assemblingOpcode, target);
    }
    return at + n;
  }

  /**
   * The header's size when `available` bytes from `at` hold all of it; -1 when they do not
   * yet; -2 when what is there already breaks the protocol (reported).
   */
  private headerSize(buf: Buffer, at: number, available: number): number {
    if (available < 2) return -1;
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    if ((b0 & 0x70) !== 0) return this.fail('ws_reserved_bit', CLOSE_CODE.protocolError);
    if ((b1 & 0x80) !== 0) return this.fail('ws_masked_frame', CLOSE_CODE.protocolError);
    const len7 = b1 & 0x7f;
    const size = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
    return available < size ? -1 : size;
  }

  /** The payload length of a complete header at `at` (a 64-bit length past 2^53 reads as Infinity). */
  private payloadLength(buf: Buffer, at: number): number {
    const len7 = buf[at + 1]! & 0x7f;
    if (len7 < 126) return len7;
    if (len7 === 126) return buf.readUInt16BE(at + 2);
    const high = buf.readUInt32BE(at + 2);
    // RFC 6455 §5.2: the most significant bit must be 0; past 2^53 a JS number is not exact.
    if (high > 0x1fffff) return Infinity;
    return high * 0x1_0000_0000 + buf.readUInt32BE(at + 6);
  }

  /** False (and reported) when the frame breaks the protocol or the size bound. */
  private checkFrame(fin: boolean, opcode: number, length: number): boolean {
    const refusal = this.refusal(fin, opcode, length);
    if (refusal === undefined) return true;
    this.fail(refusal, refusal === 'ws_frame_too_big' ? CLOSE_CODE.tooBig : CLOSE_CODE.protocolError);
    return false;
  }

  private refusal(fin: boolean, opcode: number, length: number): FrameRefusal | undefined {
    if (opcode >= 0x8) {
      if (opcode > OPCODE.pong) return 'ws_bad_opcode';
      return !fin || length > MAX_CONTROL_PAYLOAD ? 'ws_bad_control_frame' : undefined;
    }
    if (opcode > OPCODE.binary) return 'ws_bad_opcode';
    if (opcode === OPCODE.continuation ? this.fragmentOpcode < 0 : this.fragmentOpcode >= 0) return 'ws_bad_continuation';
    return length > this.maxPayload - this.fragmentBytes ? 'ws_frame_too_big' : undefined;
  }

  private frame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OPCODE.text:
      case OPCODE.binary:
        if (fin) return this.sink.message(payload, 0, payload.length, opcode === OPCODE.binary);
        this.fragmentOpcode = opcode;
        // Fragments outlive the chunk they came in, which the reader may reuse: copied.
        this.fragments = [Buffer.from(payload)];
        this.fragmentBytes = payload.length;
        return;
      case OPCODE.continuation: {
        this.fragments.push(Buffer.from(payload));
        this.fragmentBytes += payload.length;
        if (!fin) return;
        const message = Buffer.concat(this.fragments, this.fragmentBytes);
        const binary = this.fragmentOpcode === OPCODE.binary;
        this.fragmentOpcode = -1;
        this.fragments = [];
        this.fragmentBytes = 0;
        return this.sink.message(message, 0, message.length, binary);
      }
      case OPCODE.ping:
        return this.sink.ping(payload);
      case OPCODE.pong:
        return this.sink.pong(payload);
      case OPCODE.close: {
        if (payload.length === 0) return this.sink.close(CLOSE_CODE.noStatus, payload);
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 0;
        if (!validCloseCode(code)) {
          this.fail('ws_bad_close_payload', CLOSE_CODE.protocolError);
          return;
        }
        return this.sink.close(code, payload.subarray(2));
      }
    }
  }

  private fail(reason: FrameRefusal, closeCode: number): -2 {
    if (!this.failed) {
      this.failed = true;
      this.assembling = undefined;
      this.fragments = [];
      this.sink.refuse(reason, closeCode);
    }
    return -2;
  }
}

/** Codes a peer may send in a close frame (RFC 6455 §7.4; 1005, 1006 and 1015 never go on the wire). */
export function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/**
 * Mask keys drawn from one random buffer refilled 1,024 keys at a time, not one
 * `randomFillSync` call per frame.
 */
export class MaskKeys {
  private readonly pool: Buffer;
  private at: number;

  constructor(keys = 1024) {
    this.pool = Buffer.allocUnsafe(keys * 4);
    this.at = this.pool.length;
  }

  /** Writes the next 4-byte key into `out` at `offset`. */
  next(out: Buffer, offset: number): void {
    if (this.at === this.pool.length) {
      randomFillSync(this.pool);
      this.at = 0;
    }
    this.pool.copy(out, offset, this.at, this.at + 4);
    this.at += 4;
  }
}

function headerLength(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength <= 0xffff ? 4 : 10;
}

/** Writes a FIN frame's header with the mask bit set; returns where the mask key goes. */
function writeHeader(out: Buffer, opcode: number, payloadLength: number): number {
  out[0] = 0x80 | opcode;
  if (payloadLength < 126) {
    out[1] = 0x80 | payloadLength;
    return 2;
  }
  if (payloadLength <= 0xffff) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(payloadLength, 2);
    return 4;
  }
  out[1] = 0x80 | 127;
  out.writeUInt32BE(Math.floor(payloadLength / 0x1_0000_0000), 2);
  out.writeUInt32BE(payloadLength >>> 0, 6);
  return 10;
}

/** XORs `buf[from, from + length)` in place with the 4-byte key at `buf[keyAt]`. */
function applyMask(buf: Buffer, keyAt: number, from: number, length: number): void {
  const k0 = buf[keyAt]!;
  const k1 = buf[keyAt + 1]!;
  const k2 = buf[keyAt + 2]!;
  const k3 = buf[keyAt + 3]!;
  const end = from + length;
  let i = from;
  for (; i + 3 < end; i += 4) {
    buf[i] = buf[i]! ^ k0;
    buf[i + 1] = buf[i + 1]! ^ k1;
    buf[i + 2] = buf[i + 2]! ^ k2;
    buf[i + 3] = buf[i + 3]! ^ k3;
  }
  const keys = [k0, k1, k2, k3];
  for (let j = 0; i < end; i++, j++) buf[i] = buf[i]! ^ keys[j]!;
}

/** One masked client frame (FIN set) holding `payload`: a string is written as UTF-8. */
export function encodeClientFrame(opcode: number, payload: string | Buffer, masks: MaskKeys): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const out = Buffer.allocUnsafe(headerLength(length) + 4 + length);
  const keyAt = writeHeader(out, opcode, length);
  masks.next(out, keyAt);
  const from = keyAt + 4;
  if (typeof payload === 'string') out.write(payload, from, 'utf8');
  else payload.copy(out, from);
  applyMask(out, keyAt, from, length);
  return out;
}

/** A close frame's payload: the code, then the reason (cut to fit a control frame's 125 bytes). */
export function closePayload(code: number, reason = ''): Buffer {
  if (code === CLOSE_CODE.noStatus) return Buffer.alloc(0);
  const reasonBytes = Buffer.from(reason).subarray(0, MAX_CONTROL_PAYLOAD - 2);
  const out = Buffer.allocUnsafe(2 + reasonBytes.length);
  out.writeUInt16BE(code, 0);
  reasonBytes.copy(out, 2);
  return out;
}
