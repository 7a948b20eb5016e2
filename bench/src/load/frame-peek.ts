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

function bytesAt(buf: Buffer, at: number, bytes: Buffer): boolean {
  if (at + bytes.length > buf.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

/**
 * A `new_message` as the gateway writes it, read with plain byte reads in JS: one call into C++
 * per delivery (the key's string) instead of five (compare, indexOf, toString …), which were
 * about 40 % of a client process's time at 200,000 deliveries/s. Anything unexpected: undefined,
 * and the general path reads it.
 */
function peekDelivery(buf: Buffer): PeekedFrame | undefined {
  if (!bytesAt(buf, 0, NEW_MESSAGE_PREFIX)) return undefined;
  let i = NEW_MESSAGE_PREFIX.length;
  // In JSON a quote inside a string is escaped, so `"text":"` only occurs as the key itself.
  while (i < buf.length && !(buf[i] === QUOTE && bytesAt(buf, i, TEXT_KEY))) i++;
  if (i >= buf.length) return undefined;
  i += TEXT_KEY.length;
  let whole = 0;
  let digits = 0;
  for (; i < buf.length && buf[i]! >= ZERO && buf[i]! <= ZERO + 9; i++, digits++) whole = whole * 10 + (buf[i]! - ZERO);
  let fraction = 0;
  let scale = 1;
  if (buf[i] === DOT) {
    for (i++; i < buf.length && buf[i]! >= ZERO && buf[i]! <= ZERO + 9; i++) {
      fraction = fraction * 10 + (buf[i]! - ZERO);
      scale *= 10;
    }
  }
  if (digits === 0 || buf[i] !== BAR) return undefined;
  const start = ++i;
  for (; i < buf.length && buf[i] !== BAR; i++) if (buf[i] === QUOTE || buf[i] === BACKSLASH) return undefined;
  if (i >= buf.length) return undefined;
  return { type: 'new_message', sentAtMs: whole + fraction / scale, key: buf.toString('latin1', start, i) };
}

export function peekFrame(buf: Buffer): PeekedFrame {
  const delivery = peekDelivery(buf);
  if (delivery) return delivery;
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
