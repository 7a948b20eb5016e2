/**
 * What the load generator reads of a server frame, without `JSON.parse` of every frame: at
 * 200,000 deliveries/s a parse per frame would make the load generator the bottleneck it is
 * measuring. The gateway writes `type` first (`{"type":"…",…}`); a frame that does not start
 * so is parsed in full, as before.
 */
const TYPE_PREFIX = Buffer.from('{"type":"');
const TEXT_KEY = Buffer.from('"text":"');
const REQUEST_ID_KEY = Buffer.from('"request_id":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface PeekedFrame {
  readonly type: string | undefined;
  /** `message.text` of a `new_message` (up to its second `|`: the bench's own prefix), or undefined. */
  readonly textHead?: string;
  /** A delivery read on the fast path: the send time and key of the bench's prefix (then no `textHead`). */
  readonly sentAtMs?: number;
  readonly key?: string;
  readonly requestId?: string;
  readonly code?: string;
}

function stringAt(buf: Buffer, key: Buffer, stopAtSecondBar = false): string | undefined {
  const at = buf.indexOf(key);
  if (at < 0) return undefined;
  const start = at + key.length;
  let bars = 0;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i];
    if (c === BACKSLASH) return undefined; // escapes: let the full parse handle it
    if (c === QUOTE) return buf.toString('utf8', start, i);
    if (stopAtSecondBar && c === 0x7c && ++bars === 2) return buf.toString('latin1', start, i + 1);
  }
  return undefined;
}

function parsed(buf: Buffer): PeekedFrame {
  try {
    const frame = JSON.parse(buf.toString()) as { type?: unknown; request_id?: unknown; code?: unknown; message?: { text?: unknown } };
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { type: str(frame.type), textHead: str(frame.message?.text), requestId: str(frame.request_id), code: str(frame.code) };
  } catch {
    return { type: undefined };
  }
}

const NEW_MESSAGE_PREFIX = Buffer.from('{"type":"new_message",');
const BAR = 0x7c;
const DOT = 0x2e;
const ZERO = 0x30;
/** Keys longer than this are not remembered (the bench's are `<worker>.<counter>`, < 20 bytes). */
const MAX_REMEMBERED_KEY = 32;
/**
 * Keys remembered, by a hash of their bytes: a reader sees each message once per member it holds,
 * but not in a row (tens of messages are in flight at once, and a socket read behind the server
 * holds the next ones too). 2^10 slots keep collisions between the keys in flight rare.
 */
const KEY_SLOT_BITS = 10;
const KEY_SLOTS = 1 << KEY_SLOT_BITS;

/**
 * How far a Horspool search for `"text":"` may move on when the byte under the pattern's last
 * position is `b`: the distance from b's last place in the pattern's first 7 bytes to its end, or
 * the whole 8 when b is not there (most bytes of a UUID: the search takes ~25 steps over the ids,
 * not one per byte).
 */
const TEXT_KEY_SHIFT = new Uint8Array(256).fill(TEXT_KEY.length);
for (let j = 0; j < TEXT_KEY.length - 1; j++) TEXT_KEY_SHIFT[TEXT_KEY[j]!] = TEXT_KEY.length - 1 - j;

/** Where the first `"text":"` in `buf[from, end)` starts, or -1. */
export function findTextKey(buf: Buffer, from: number, end: number): number {
  const last = TEXT_KEY.length - 1;
  for (let i = from; i + last < end; i += TEXT_KEY_SHIFT[buf[i + last]!]!) {
    if (buf[i + last] !== QUOTE) continue;
    let j = 0;
    while (j < last && buf[i + j] === TEXT_KEY[j]) j++;
    if (j === last) return i;
  }
  return -1;
}

function startsWith(buf: Buffer, at: number, end: number, bytes: Buffer): boolean {
  if (at + bytes.length > end) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

/**
 * A `new_message` as the gateway writes it, read in place with plain byte reads in JS (no call
 * into C++ per field, no object per frame): the load generator's path for every delivery. At
 * most one string per frame (its key), and none when the key was read recently, as it is for
 * the hundreds of members a fan-out delivers one message to. Anything unexpected: `read` says
 * false, and `peekFrame`'s general path reads the frame.
 */
export class DeliveryReader {
  /** What the last `read` that said true found; the next one overwrites it. */
  sentAtMs = 0;
  key = '';
  /** Slot s holds the bytes of a key (`slotLength[s]` of them, -1: empty) and its string. */
  private readonly slotBytes = new Uint8Array(KEY_SLOTS * MAX_REMEMBERED_KEY);
  private readonly slotLength = new Int32Array(KEY_SLOTS).fill(-1);
  private readonly slotKey: string[] = new Array<string>(KEY_SLOTS).fill('');
  /** Key strings made so far (a key not remembered); the rest were found in their slot. */
  keysMade = 0;

  /** True when `buf[start, end)` is a delivery with the bench's text prefix (then see `sentAtMs`, `key`). */
  read(buf: Buffer, start: number, end: number): boolean {
    if (!startsWith(buf, start, end, NEW_MESSAGE_PREFIX)) return false;
    // In JSON a quote inside a string is escaped, so `"text":"` only occurs as the key itself.
    const textKey = findTextKey(buf, start + NEW_MESSAGE_PREFIX.length, end);
    if (textKey < 0) return false;
    let i = textKey + TEXT_KEY.length;
    let whole = 0;
    let digits = 0;
    for (; i < end && buf[i]! >= ZERO && buf[i]! <= ZERO + 9; i++, digits++) whole = whole * 10 + (buf[i]! - ZERO);
    let fraction = 0;
    let scale = 1;
    if (i < end && buf[i] === DOT) {
      for (i++; i < end && buf[i]! >= ZERO && buf[i]! <= ZERO + 9; i++) {
        fraction = fraction * 10 + (buf[i]! - ZERO);
        scale *= 10;
      }
    }
    if (digits === 0 || i >= end || buf[i] !== BAR) return false;
    const keyStart = ++i;
    let hash = 0;
    for (; i < end && buf[i] !== BAR; i++) {
      const c = buf[i]!;
      if (c === QUOTE || c === BACKSLASH) return false;
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    if (i >= end) return false;
    this.sentAtMs = whole + fraction / scale;
    // Fibonacci hashing: the top bits of the product spread keys that differ in one digit.
    this.key = this.keyOf(buf, keyStart, i, Math.imul(hash, 0x9e3779b1) >>> (32 - KEY_SLOT_BITS));
    return true;
  }

  /** The key's string: the one remembered in `slot` when its bytes are the same, else a new one (then remembered there). */
  private keyOf(buf: Buffer, start: number, end: number, slot: number): string {
    const length = end - start;
    const at = slot * MAX_REMEMBERED_KEY;
    const bytes = this.slotBytes;
    if (length === this.slotLength[slot]) {
      let i = 0;
      while (i < length && buf[start + i] === bytes[at + i]) i++;
      if (i === length) return this.slotKey[slot]!;
    }
    const key = buf.toString('latin1', start, end);
    this.keysMade += 1;
    if (length <= MAX_REMEMBERED_KEY) {
      for (let i = 0; i < length; i++) bytes[at + i] = buf[start + i]!;
      this.slotLength[slot] = length;
      this.slotKey[slot] = key;
    }
    return key;
  }
}

const deliveries = new DeliveryReader();

export function peekFrame(buf: Buffer): PeekedFrame {
  if (deliveries.read(buf, 0, buf.length)) return { type: 'new_message', sentAtMs: deliveries.sentAtMs, key: deliveries.key };
  if (buf.length < TYPE_PREFIX.length || buf.compare(TYPE_PREFIX, 0, TYPE_PREFIX.length, 0, TYPE_PREFIX.length) !== 0) return parsed(buf);
  const end = buf.indexOf(QUOTE, TYPE_PREFIX.length);
  if (end < 0) return parsed(buf);
  const type = buf.toString('latin1', TYPE_PREFIX.length, end);
  switch (type) {
    case 'new_message': {
      const textHead = stringAt(buf, TEXT_KEY, true);
      return textHead === undefined ? parsed(buf) : { type, textHead };
    }
    case 'message_sent': {
      const requestId = stringAt(buf, REQUEST_ID_KEY);
      return requestId === undefined ? parsed(buf) : { type, requestId };
    }
    case 'error':
      return parsed(buf); // rare, and its fields' order is not ours to rely on
    default:
      return { type };
  }
}
