import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Static } from 'typebox';
import { NeonError } from '@neonchat/common/contracts';
import type { GatewayEnv } from '@neonchat/common/runtime';
import type { GatewayMetrics } from './metrics.js';
import type { Outbound } from './outbound.js';
import {
  PublishAdmission,
  checkOverloadSettings,
  overBudget,
  probeAction,
  type OverloadLimits,
  type PublishesInFlight,
} from './overload-policy.js';
import type { Socket, SocketRegistry } from './socket-registry.js';

export interface OverloadSettings extends OverloadLimits {
  /** How often sockets that got fan-out are probed, and the buffered total checked. */
  readonly probeIntervalMs: number;
  /** A chat's followers are probed only if it fanned out at least this many bytes in the round. */
  readonly probeMinBytes: number;
}

/** The settings from the gateway's validated environment; throws (naming the variables) on a bad combination. */
export function overloadSettingsOf(config: Static<typeof GatewayEnv>): OverloadSettings {
  checkOverloadSettings({ publishTimeoutMs: config.GATEWAY_PUBLISH_TIMEOUT_MS, shedAckAgeMs: config.GATEWAY_SHED_ACK_AGE_MS });
  return {
    slowSocketMs: config.GATEWAY_SLOW_SOCKET_MS,
    probeIntervalMs: config.GATEWAY_LAG_PROBE_MS,
    probeMinBytes: config.GATEWAY_LAG_PROBE_MIN_BYTES,
    maxBufferedTotalBytes: config.GATEWAY_MAX_BUFFERED_TOTAL_BYTES,
    shedAckAgeMs: config.GATEWAY_SHED_ACK_AGE_MS,
    shedLoopDelayMs: config.GATEWAY_SHED_LOOP_DELAY_MS,
    maxPublishesInFlight: config.GATEWAY_MAX_PUBLISHES_IN_FLIGHT,
  };
}

/** uWS `send`/`ping` result: the frame was dropped (past uWS's own limit). */
const SEND_DROPPED = 2;
/** Resolution of the event-loop delay histogram. */
const LOOP_DELAY_RESOLUTION_MS = 10;

interface Probe {
  readonly sentAt: number;
  readonly token: string;
}

/**
 * How the gateway degrades under overload, from what the bench measured (docs/BENCHMARKS.md,
 * "Issue 15, session 4"): the queue builds in the kernel's socket buffers between the gateway
 * and clients that can't read fast enough, where uWS's buffered amount never sees it. So:
 *
 * - **lag probes**: every interval, each socket that got fan-out is sent a WebSocket ping with
 *   a token (behind everything already queued for it, kernel included); a client's pong comes
 *   back once it has read up to it. A socket whose probe is unanswered after
 *   GATEWAY_SLOW_SOCKET_MS is that far behind: closed with 4008 (`lagging`), and resumes from
 *   its last seq. Clients that keep up are never touched.
 * - **buffered total**: the sum of uWS's buffers over all sockets is bounded; past it the
 *   sockets holding the most are closed first (`gateway_buffer`), so memory stays bounded
 *   whatever the number of sockets (the per-socket bound alone allows sockets × 1 MiB).
 * - **send admission**: a new `message`/`react` is answered `unavailable` at once, before it
 *   is published, while publishes are already waiting too long for their ack, too many are in
 *   flight, or the event loop is behind; the client resends with the same request_id.
 */
export class OverloadGuard {
  readonly admission: PublishAdmission;
  private readonly probes = new Map<Socket, Probe>();
  private readonly loopDelay: IntervalHistogram;
  private timer: NodeJS.Timeout | undefined;
  private tokenCounter = 0;
  private lastTotal = 0;
  private readonly decideLagging = (): void => this.closeLagging(this.clock());

  constructor(
    private readonly settings: OverloadSettings,
    private readonly registry: SocketRegistry,
    private readonly outbound: Outbound,
    private readonly metrics: GatewayMetrics,
    /** The gateway's publisher: what waits for the stream's ack. */
    publishes: PublishesInFlight,
    /** performance.now() (the publisher's clock too); the unit tests pass their own. */
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.admission = new PublishAdmission(settings, publishes);
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  }

  start(): void {
    this.loopDelay.enable();
    this.timer = setInterval(() => this.tick(this.clock()), this.settings.probeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.loopDelay.disable();
    this.probes.clear();
  }

  /** Throws `unavailable` (counted by reason) if a new publish must not be made now. */
  admitPublish(): void {
    const reason = this.admission.shedReason(this.clock());
    if (reason === undefined) return;
    this.metrics.sendsShed.inc({ reason });
    throw new NeonError('unavailable', 'the gateway is overloaded: resend shortly with the same request_id');
  }

  /** uWS `pong`: the socket has read everything sent before the probe. */
  pong(ws: Socket, message: ArrayBuffer): void {
    const probe = this.probes.get(ws);
    // uWS's own idle pings carry no payload; only our token answers our probe.
    if (!probe || message.byteLength !== probe.token.length || Buffer.from(message).toString('latin1') !== probe.token) return;
    this.probes.delete(ws);
    this.metrics.socketLag.observe((this.clock() - probe.sentAt) / 1000);
  }

  /** One probe round: pings out, the buffered total checked, lagging sockets decided right after. */
  tick(now: number): void {
    this.admission.loopDelay = this.loopDelay.percentile(99) / 1e6;
    this.loopDelay.reset();
    this.metrics.publishesInFlight.set(this.admission.size);
    const chats = this.outbound.takeActiveChats(this.settings.probeMinBytes);
    this.probe(chats.busy, now);
    // A gateway that fanned nothing out since the last round and had nothing buffered skips the scan.
    if (chats.any || this.lastTotal > 0) this.boundBufferedTotal();
    // Timers run before socket reads in a loop turn: after a stall, pongs may be waiting in the
    // kernel. Deciding after this turn's reads (setImmediate) never cuts a socket whose answer
    // was there; and unlike skipping late rounds, a gateway that is always late still decides.
    setImmediate(this.decideLagging);
  }

  /** Closes the sockets whose probe is unanswered for longer than GATEWAY_SLOW_SOCKET_MS. */
  closeLagging(now: number): void {
    for (const [ws, probe] of this.probes) {
      if (ws.getUserData().closed) {
        this.probes.delete(ws);
        continue;
      }
      if (probeAction(probe.sentAt, now, this.settings.slowSocketMs) !== 'close') continue;
      this.probes.delete(ws);
      this.outbound.closeSlow(ws, 'lagging');
    }
  }

  /**
   * Pings each follower of the busy chats that has no probe unanswered. Quiet chats are left
   * out: a socket can only fall seconds behind on volume, and one that stops reading a quiet
   * chat is caught by the per-socket bound and the idle timeout; probing every socket that got
   * anything would add a ping and a pong per socket per round to a gateway of direct chats.
   */
  private probe(chats: ReadonlySet<string>, now: number): void {
    if (chats.size === 0 || this.settings.slowSocketMs === 0) return;
    const token = `lag${(this.tokenCounter++).toString(36)}`;
    for (const chatId of chats) {
      for (const ws of this.registry.followersOf(chatId)) {
        const state = ws.getUserData();
        if (state.closed || !state.ready || this.probes.has(ws)) continue;
        let status = 0;
        ws.cork(() => {
          status = ws.ping(token);
        });
        if (status === SEND_DROPPED) this.outbound.closeSlow(ws, 'send_dropped');
        else this.probes.set(ws, { sentAt: now, token });
      }
    }
  }

  private boundBufferedTotal(): void {
    const held: Array<{ ws: Socket; buffered: number }> = [];
    let total = 0;
    for (const ws of this.registry.all()) {
      if (ws.getUserData().closed) continue;
      const buffered = ws.getBufferedAmount();
      if (buffered === 0) continue;
      held.push({ ws, buffered });
      total += buffered;
    }
    this.metrics.bufferedBytes.set(total);
    this.lastTotal = total;
    for (const victim of overBudget(held, total, this.settings.maxBufferedTotalBytes)) {
      this.outbound.closeSlow(victim.ws, 'gateway_buffer');
      this.lastTotal -= victim.buffered;
    }
  }
}
