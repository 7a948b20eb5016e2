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

export function peekFrame(buf: Buffer): PeekedFrame {
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
