/**
 * The pure parts of the mass-reconnect measurement (issue 32): what a socket saw of a chat
 * across its reconnects, which acked messages it missed, where it reconnects to and when, the
 * exact percentiles of the reconnect times, and the before / during / after windows of the
 * storm. No I/O: the client workers (bench-worker.ts) and the `reconnect` scenario use it, and
 * bench/test/reconnect-math.test.ts checks it.
 */

/**
 * What one socket saw of one chat, over every connection it had. A chat's `seq` is its event's
 * position in the one chat-events stream, so a chat's seqs are not consecutive: a missed message
 * is an acked seq (known to the worker holding both ends of the chat) the socket never saw.
 */
export class ChatSeen {
  /** Seqs of `new_message` and `gap` frames (live or replayed). */
  private readonly stream = new Set<number>();
  /** Seqs of this socket's own acked messages (the sender knows them from the ack). */
  private readonly own = new Set<number>();
  /**
   * Highest seq seen in stream order: what a `resume` starts after. Not an ack's seq: an ack can
   * overtake the live delivery of an older message of the peer, and resuming after it would skip that.
   */
  streamLast = 0;
  /** Stream frames of a seq already seen (a replay repeating a live delivery). */
  duplicates = 0;
  /** `gap` frames: events the gateway could not show. */
  gapFrames = 0;

  noteDelivery(seq: number): void {
    if (this.stream.has(seq)) this.duplicates += 1;
    else this.stream.add(seq);
    if (seq > this.streamLast) this.streamLast = seq;
  }

  noteGap(seq: number): void {
    this.gapFrames += 1;
    this.noteDelivery(seq);
  }

  noteAck(seq: number): void {
    this.own.add(seq);
  }

  /** `resumed.last_seq`: the replay went up to there (its frames were noted one by one). */
  noteResumedTo(lastSeq: number): void {
    if (lastSeq > this.streamLast) this.streamLast = lastSeq;
  }

  has(seq: number): boolean {
    return this.stream.has(seq) || this.own.has(seq);
  }
}

/** The acked seqs of a chat this socket never saw, live, replayed or as its own ack. */
export function missedSeqs(acked: Iterable<number>, seen: ChatSeen | undefined): number[] {
  const missed: number[] = [];
  for (const seq of acked) if (!seen?.has(seq)) missed.push(seq);
  return missed;
}

/** The frames the reconnect tracking reads (parsed in full: a few thousand a second at most). */
export type TrackedFrame =
  | { readonly kind: 'message'; readonly chatId: string; readonly seq: number }
  | { readonly kind: 'gap'; readonly chatId: string; readonly seq: number }
  | { readonly kind: 'ack'; readonly chatId: string; readonly seq: number }
  | { readonly kind: 'resumed'; readonly chatId: string; readonly count: number; readonly lastSeq: number }
  | { readonly kind: 'ready'; readonly chatIds: string[] }
  | { readonly kind: 'error'; readonly code: string; readonly requestId?: string };

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;

/** The tracked part of a server frame, or undefined (another type, or not what the contract says). */
export function readTrackedFrame(text: string): TrackedFrame | undefined {
  let frame: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    frame = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const message = (typeof frame.message === 'object' && frame.message !== null ? frame.message : {}) as Record<string, unknown>;
  switch (frame.type) {
    case 'new_message':
    case 'message_sent': {
      if (!isId(message.chat_id) || !isSeq(message.seq)) return undefined;
      return { kind: frame.type === 'new_message' ? 'message' : 'ack', chatId: message.chat_id, seq: message.seq };
    }
    case 'gap':
      return isId(frame.chat_id) && isSeq(frame.seq) ? { kind: 'gap', chatId: frame.chat_id, seq: frame.seq } : undefined;
    case 'resumed':
      return isId(frame.chat_id) && isSeq(frame.count) && isSeq(frame.last_seq)
        ? { kind: 'resumed', chatId: frame.chat_id, count: frame.count, lastSeq: frame.last_seq }
        : undefined;
    case 'ready':
      return Array.isArray(frame.chat_ids) && frame.chat_ids.every(isId) ? { kind: 'ready', chatIds: frame.chat_ids } : undefined;
    case 'error':
      return {
        kind: 'error',
        code: typeof frame.code === 'string' ? frame.code : 'error_frame',
        ...(typeof frame.request_id === 'string' ? { requestId: frame.request_id } : {}),
      };
    default:
      return undefined;
  }
}

/** `ws://host:port` of a URL (the gateway a socket is on). */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/**
 * The gateway a socket closed on `fromUrl` reconnects to: round-robin over the others (`turn`
 * counts the worker's reconnects), or the same one when it is the only gateway.
 */
export function nextGateway(gatewayUrls: readonly string[], fromUrl: string, turn: number): string {
  const from = originOf(fromUrl);
  const others = gatewayUrls.filter((u) => originOf(u) !== from);
  const pool = others.length > 0 ? others : gatewayUrls;
  if (pool.length === 0) throw new Error('nextGateway: no gateway');
  return pool[turn % pool.length]!;
}

/** The socket's URL on another gateway: the gateway's path, the socket's own query (its token). */
export function reconnectUrl(socketUrl: string, gatewayUrl: string): string {
  const target = new URL(gatewayUrl);
  target.search = new URL(socketUrl).search;
  return target.toString();
}

/** Most a retry waits (a real client's cap). */
export const MAX_RETRY_MS = 5000;

/**
 * How long a socket waits before reconnect attempt `attempt` (1 = the first after its close):
 * the first spread over [0, spreadMs) like a real client's jitter, later ones backing off
 * exponentially from 250 ms, capped at MAX_RETRY_MS, with up to 250 ms of jitter. `random` in [0, 1).
 */
export function reconnectDelayMs(attempt: number, spreadMs: number, random: number): number {
  if (attempt <= 1) return Math.floor(random * Math.max(0, spreadMs));
  return Math.min(MAX_RETRY_MS, 250 * 2 ** Math.min(attempt - 2, 10)) + Math.floor(random * 250);
}

export interface ExactSummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentiles of every value (reconnect times: tens of thousands at most, kept exact). */
export function exactSummary(values: readonly number[]): ExactSummary {
  if (values.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { count: sorted.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1]! };
}

/** Timeline seconds [from, to). */
export interface SecondWindow {
  readonly from: number;
  readonly to: number;
}

export interface StormWindows {
  readonly before: SecondWindow;
  readonly during: SecondWindow;
  readonly after: SecondWindow;
}

/**
 * The seconds before the kill, of the storm (from the kill's second through the second the
 * last socket resumed in, at least one), and after it, each side `spanS` long at most; `before`
 * never starts before `earliest` (the chatter's first second).
 */
export function stormWindows(killSecond: number, lastResumedSecond: number, spanS: number, earliest = 0): StormWindows {
  const duringTo = Math.max(killSecond + 1, lastResumedSecond + 1);
  return {
    before: { from: Math.max(earliest, killSecond - spanS), to: killSecond },
    during: { from: killSecond, to: duringTo },
    after: { from: duringTo, to: duringTo + spanS },
  };
}

/** What one client worker counted of its sockets' closes and reconnects. */
export interface ReconnectCounts {
  /** Sockets closed by the server or the network (not by the bench). */
  closes: number;
  /** Of them, sockets first opened on the gateway the scenario kills. */
  victimCloses: number;
  /** Connection attempts after a close (a retry counts again). */
  attempts: number;
  /** Closed sockets that got `ready` again and finished the resume of every chat they follow. */
  resumed: number;
  /** Closed sockets not (yet) resumed. */
  pending: number;
  /** Events replayed by the resumes (`resumed.count`). */
  recovered: number;
  /** Acked messages a member's socket never saw (must be 0). */
  missed: number;
  gapFrames: number;
  duplicates: number;
  /** Acked messages checked (× the sockets of each chat). */
  checked: number;
  /** Latest `resumed` of all (wall-clock ms; 0 when none). */
  lastResumedAtMs: number;
  /** Earliest close (wall-clock ms; 0 when none). */
  firstCloseAtMs: number;
  errors: Record<string, number>;
}

export interface ReconnectTimes {
  /** Close → the new `ready`, ms, one per reconnected socket. */
  readonly toReadyMs: number[];
  /** Close → the last `resumed` of its chats, ms. */
  readonly toResumedMs: number[];
}

export function emptyCounts(): ReconnectCounts {
  return {
    closes: 0,
    victimCloses: 0,
    attempts: 0,
    resumed: 0,
    pending: 0,
    recovered: 0,
    missed: 0,
    gapFrames: 0,
    duplicates: 0,
    checked: 0,
    lastResumedAtMs: 0,
    firstCloseAtMs: 0,
    errors: {},
  };
}

/** Every worker's counts as one. */
export function mergeCounts(all: readonly ReconnectCounts[]): ReconnectCounts {
  const out = emptyCounts();
  for (const c of all) {
    for (const key of [
      'closes',
      'victimCloses',
      'attempts',
      'resumed',
      'pending',
      'recovered',
      'missed',
      'gapFrames',
      'duplicates',
      'checked',
    ] as const)
      out[key] += c[key];
    out.lastResumedAtMs = Math.max(out.lastResumedAtMs, c.lastResumedAtMs);
    if (c.firstCloseAtMs > 0)
      out.firstCloseAtMs = out.firstCloseAtMs === 0 ? c.firstCloseAtMs : Math.min(out.firstCloseAtMs, c.firstCloseAtMs);
    for (const [code, n] of Object.entries(c.errors)) out.errors[code] = (out.errors[code] ?? 0) + n;
  }
  return out;
}

/** True once every socket of the killed gateway closed and every closed socket resumed. */
export function stormOver(counts: ReconnectCounts, victims: number): boolean {
  return counts.victimCloses >= victims && counts.pending === 0;
}
