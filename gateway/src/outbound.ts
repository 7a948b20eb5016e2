import { CLOSE_CODES, type ErrorCode, type ServerFrame } from '@neonchat/common/contracts';
import { type Logger } from '@neonchat/common/runtime';
import type { GatewayMetrics } from './metrics.js';
import type { Socket, SocketRegistry } from './socket-registry.js';

/** Minimum time between two backpressure checks of the chats fanned out to. */
const DIRTY_SWEEP_MIN_MS = 10;

/** uWS `send` results. */
const SEND_DROPPED = 2;

export type SlowReason =
  | 'send_dropped'
  | 'send_backpressure'
  | 'publish_backpressure'
  | 'catch_up_overflow'
  | 'uws_limit'
  /** Did not answer a lag probe within GATEWAY_SLOW_SOCKET_MS (overload-guard.ts). */
  | 'lagging'
  /** Held the most when the gateway's buffered total passed GATEWAY_MAX_BUFFERED_TOTAL_BYTES. */
  | 'gateway_buffer';

/**
 * Everything that leaves a socket goes through here: `send`'s result and the socket's buffered
 * bytes are checked after every direct send, and a socket past the bound is closed with
 * `slowConsumer` (counted) rather than buffered without limit. Fan-out goes through uWS topics,
 * which skip a socket above uWS's own `maxBackpressure` silently; the sweep closes any socket
 * past our lower bound before that can happen, so a client is cut off (and resumes) instead of
 * silently missing a message.
 */
export class Outbound {
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Fan-outs outside chats since the last full sweep: an idle gateway skips it. */
  private publishedSinceSweep = 0;
  private readonly dirtyChats = new Set<string>();
  /** Bytes fanned out per chat since the overload guard last looked (its lag probes go to the busy chats' followers). */
  private activeChats = new Map<string, number>();
  private sweepScheduled = false;
  private lastDirtySweep = 0;

  constructor(
    private readonly registry: SocketRegistry,
    private readonly maxBufferedBytes: number,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  get limit(): number {
    return this.maxBufferedBytes;
  }

  send(ws: Socket, data: string, type: string): boolean {
    const state = ws.getUserData();
    if (state.closed) return false;
    // Corked: a send from a promise callback may run while uWS has another socket corked (a
    // microtask drained inside that socket's handler); uncorked, such a write can sit in the
    // cork buffer until this socket has traffic of its own. cork() flushes it at the end.
    let status = 0;
    ws.cork(() => {
      status = ws.send(data, false);
    });
    this.metrics.framesOut.inc({ type });
    if (status === SEND_DROPPED) {
      this.closeSlow(ws, 'send_dropped');
      return false;
    }
    if (ws.getBufferedAmount() > this.maxBufferedBytes) {
      this.closeSlow(ws, 'send_backpressure');
      return false;
    }
    return true;
  }

  frame(ws: Socket, frame: ServerFrame): boolean {
    return this.send(ws, JSON.stringify(frame), frame.type);
  }

  error(ws: Socket, code: ErrorCode, message: string, requestId?: string): void {
    this.metrics.errors.inc({ code });
    this.frame(ws, { type: 'error', code, message, ...(requestId !== undefined ? { request_id: requestId } : {}) });
  }

  /** Resolves when the socket's buffer went below half the bound, or it closed. */
  async belowHalf(ws: Socket): Promise<void> {
    const state = ws.getUserData();
    while (!state.closed && ws.getBufferedAmount() > this.maxBufferedBytes / 2) {
      await new Promise<void>((resolve) => state.drainWaiters.push(resolve));
    }
  }

  /** uWS `drain`: wake whoever waits for this socket. */
  drained(ws: Socket): void {
    const state = ws.getUserData();
    if (!state.drainWaiters.length || ws.getBufferedAmount() > this.maxBufferedBytes / 2) return;
    const waiters = state.drainWaiters;
    state.drainWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Closed sockets must release their waiters too. */
  releaseWaiters(ws: Socket): void {
    const state = ws.getUserData();
    const waiters = state.drainWaiters;
    state.drainWaiters = [];
    for (const wake of waiters) wake();
  }

  closeSlow(ws: Socket, reason: SlowReason): void {
    const state = ws.getUserData();
    if (state.closed) return;
    this.metrics.slowConsumerCloses.inc({ reason });
    this.logger.info({ connection_id: state.connectionId, reason, buffered: ws.getBufferedAmount() }, 'closing a slow consumer');
    ws.end(CLOSE_CODES.slowConsumer, 'too slow: reconnect and resume');
  }

  /**
   * A chat was fanned out to: its local sockets are checked once the current burst of NATS
   * messages is handled (setImmediate), so a socket is cut at our bound, long before uWS's own
   * limit would make it skip messages.
   */
  noteFanOut(chatId: string, bytes: number): void {
    this.dirtyChats.add(chatId);
    this.activeChats.set(chatId, (this.activeChats.get(chatId) ?? 0) + bytes);
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    // At most one check per socket per DIRTY_SWEEP_MIN_MS however fast messages come: the
    // buffers can't grow from our bound to uWS's (4×) in that time at any real rate.
    const wait = this.lastDirtySweep + DIRTY_SWEEP_MIN_MS - performance.now();
    if (wait <= 0) setImmediate(() => this.sweepDirty());
    else setTimeout(() => this.sweepDirty(), wait).unref();
  }

  /**
   * Since the last call: the chats that fanned out at least `minBytes` (with 0: every chat
   * fanned out to), and whether any chat was fanned out to at all.
   */
  takeActiveChats(minBytes: number): { busy: ReadonlySet<string>; any: boolean } {
    const busy = new Set<string>();
    for (const [chatId, bytes] of this.activeChats) if (bytes >= minBytes) busy.add(chatId);
    const any = this.activeChats.size > 0;
    this.activeChats.clear();
    return { busy, any };
  }

  /** Frames published outside chats (presence): the slower full sweep covers those. */
  noteOtherFanOut(): void {
    this.publishedSinceSweep += 1;
  }

  private sweepDirty(): void {
    this.sweepScheduled = false;
    this.lastDirtySweep = performance.now();
    for (const chatId of this.dirtyChats) {
      for (const ws of this.registry.followersOf(chatId)) this.check(ws);
    }
    this.dirtyChats.clear();
  }

  private check(ws: Socket): void {
    const buffered = ws.getBufferedAmount();
    if (buffered > this.maxBufferedBytes) this.closeSlow(ws, 'publish_backpressure');
    else if (buffered > this.maxBufferedBytes / 2) ws.getUserData().nearLimit = true;
  }

  startSweeps(intervalMs: number): void {
    this.sweepTimer = setInterval(() => this.sweep(), intervalMs);
    this.sweepTimer.unref();
  }

  sweep(): void {
    if (this.publishedSinceSweep === 0) return;
    this.publishedSinceSweep = 0;
    // Closing removes the socket from the registry mid-loop, which Map iteration allows.
    for (const ws of this.registry.all()) this.check(ws);
  }

  stop(): void {
    clearInterval(this.sweepTimer);
  }
}
