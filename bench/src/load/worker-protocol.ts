/**
 * Messages between the bench coordinator and its client worker processes (child processes,
 * not worker_threads: the 20,000 open-file cap is per process, and every socket is a file).
 */
import type { HistogramSnapshot } from './latency-histogram.js';
import type { ReconnectCounts, ReconnectTimes } from './reconnect-math.js';

/**
 * Reconnecting after a close by the server or the network (the `reconnect` scenario): to another
 * gateway, round-robin, after a jitter in [0, spreadMs), then `resume` of every chat followed.
 */
export interface ReconnectConfig {
  /** ws://…/ws of every gateway of the session. */
  readonly gatewayUrls: string[];
  readonly spreadMs: number;
  /** Origin (ws://host:port) of the gateway the scenario will kill: its sockets' deliveries stay out of the timeline. */
  readonly victimOrigin?: string;
}

export interface ClientSpec {
  /** ws://…/ws?token=… of the gateway this client uses. */
  readonly url: string;
  /** Source address on loopback (127.0.0.x): each address has its own ephemeral port range. */
  readonly localAddress: string;
  /** The chat this client sends to, when it is a sender. */
  readonly sendChatId?: string;
}

export type CoordinatorMessage =
  | {
      readonly type: 'open';
      readonly clients: ClientSpec[];
      readonly concurrency: number;
      readonly epochMs: number;
      /** Reconnect closed sockets and track every chat's seqs (off when absent). */
      readonly reconnect?: ReconnectConfig;
    }
  | {
      readonly type: 'send';
      /** This worker's share of the rate, messages per second over all its senders. */
      readonly ratePerSecond: number;
      readonly durationMs: number;
      readonly textBytes: number;
    }
  | { readonly type: 'set_rate'; readonly ratePerSecond: number }
  | { readonly type: 'stop_sending' }
  /** Keep per-message delivery counts (fan-out: latency to the last receiver). */
  | { readonly type: 'track_messages'; readonly enabled: boolean }
  /** The reconnect counts so far; `final`: with the missed-message check and the reconnect times. */
  | { readonly type: 'reconnect_report'; readonly final: boolean }
  | { readonly type: 'close' };

/** One second of one worker's activity, merged by the coordinator. */
export interface WorkerTick {
  readonly type: 'tick';
  readonly worker: number;
  /** Whole seconds since the run's epoch. */
  readonly second: number;
  readonly sent: number;
  readonly acked: number;
  readonly delivered: number;
  readonly skipped: number;
  readonly errors: Record<string, number>;
  readonly ack: HistogramSnapshot;
  readonly delivery: HistogramSnapshot;
  readonly held: number;
  /** message key → [deliveries, largest latency ms], when tracking is on. */
  readonly perMessage?: Record<string, [number, number]>;
}

export type WorkerMessage =
  | WorkerTick
  | {
      readonly type: 'opened';
      readonly worker: number;
      readonly held: number;
      readonly failed: number;
      readonly errors: Record<string, number>;
      readonly connect: HistogramSnapshot;
    }
  | { readonly type: 'send_done'; readonly worker: number; readonly unacked: number; readonly skipped: number }
  | { readonly type: 'reconnect_report'; readonly worker: number; readonly counts: ReconnectCounts; readonly times?: ReconnectTimes }
  | { readonly type: 'closed'; readonly worker: number }
  | { readonly type: 'fatal'; readonly worker: number; readonly message: string };

/** Fixed for the life of the process; read once, since the getter costs as much as `now()` itself. */
const TIME_ORIGIN = performance.timeOrigin;

/** The clock every process stamps with: wall-clock milliseconds with sub-millisecond digits. */
export function nowMs(): number {
  return TIME_ORIGIN + performance.now();
}

/** Message text: `<send time ms>|<key>|<padding>`; the receiver reads the latency from it. */
export function messageText(sentAtMs: number, key: string, bytes: number): string {
  const head = `${sentAtMs.toFixed(3)}|${key}|`;
  return bytes > head.length ? head + 'x'.repeat(bytes - head.length) : head;
}

export function parseMessageText(text: string): { sentAtMs: number; key: string } | undefined {
  const first = text.indexOf('|');
  const second = first < 0 ? -1 : text.indexOf('|', first + 1);
  if (second < 0) return undefined;
  const sentAtMs = Number(text.slice(0, first));
  return Number.isFinite(sentAtMs) ? { sentAtMs, key: text.slice(first + 1, second) } : undefined;
}
