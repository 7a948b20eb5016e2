/**
 * The overload rules as pure functions and one small counter, no I/O (unit-tested without a
 * server); `overload-guard.ts` applies them to sockets and publishes.
 */

/** Why a new send is refused before it is published. */
export type ShedReason = 'publishes_in_flight' | 'ack_age' | 'event_loop';

/** The limits; 0 turns a rule off. */
export interface OverloadLimits {
  /** A socket that has not answered a lag probe within this is closed (4008). */
  readonly slowSocketMs: number;
  /** Bytes uWS may buffer for all sockets together; past it the largest buffers are closed first. */
  readonly maxBufferedTotalBytes: number;
  /** New sends are refused while the oldest publish in flight is older than this. */
  readonly shedAckAgeMs: number;
  /** New sends are refused while the event loop's delay (p99 over the last probe interval) is above this. */
  readonly shedLoopDelayMs: number;
  /** New sends are refused while this many publishes wait for the stream's ack. */
  readonly maxPublishesInFlight: number;
}

/** What to do with one socket at a probe tick, given when its unanswered probe went out. */
export function probeAction(probeSentAt: number | undefined, now: number, slowSocketMs: number): 'ping' | 'wait' | 'close' {
  if (probeSentAt === undefined) return 'ping';
  return slowSocketMs > 0 && now - probeSentAt > slowSocketMs ? 'close' : 'wait';
}

/**
 * The sockets to close so that the gateway's buffered total falls to `budget`: the ones holding
 * the most first (they are the furthest behind, and each frees the most), no more than needed.
 */
export function overBudget<T extends { readonly buffered: number }>(candidates: readonly T[], total: number, budget: number): T[] {
  if (budget <= 0 || total <= budget) return [];
  const victims: T[] = [];
  let left = total;
  for (const c of [...candidates].sort((a, b) => b.buffered - a.buffered)) {
    if (left <= budget) break;
    victims.push(c);
    left -= c.buffered;
  }
  return victims;
}

/** The publishes waiting for the stream's ack, as the publisher keeps them (`ChatEventPublisher`). */
export interface PublishesInFlight {
  readonly inFlight: number;
  /** When the oldest publish still waiting was made (performance.now() ms), undefined if none. */
  oldestInFlightAt(): number | undefined;
}

/**
 * Whether a new send may join the publishes waiting for the stream's ack. A send refused here
 * was never published, so answering it `unavailable` is true; one admitted is answered by its
 * ack as before. Refusing while acks are already late keeps a new send from waiting in a queue
 * whose ack would time out (and be answered `unavailable` although it was stored). The
 * publisher's own bookkeeping is read: nothing is tracked twice per message.
 */
export class PublishAdmission {
  private loopDelayMs = 0;

  constructor(
    private readonly limits: Pick<OverloadLimits, 'shedAckAgeMs' | 'shedLoopDelayMs' | 'maxPublishesInFlight'>,
    private readonly publishes: PublishesInFlight,
  ) {}

  get size(): number {
    return this.publishes.inFlight;
  }

  /** The event loop's delay as last measured (ms). */
  set loopDelay(ms: number) {
    this.loopDelayMs = ms;
  }

  /** Age (ms) of the oldest publish still waiting for its ack, 0 if none. */
  oldestAge(now: number): number {
    const oldest = this.publishes.oldestInFlightAt();
    return oldest === undefined ? 0 : now - oldest;
  }

  /** Why a new send must be refused now, or undefined if it may be published. */
  shedReason(now: number): ShedReason | undefined {
    const { maxPublishesInFlight, shedAckAgeMs, shedLoopDelayMs } = this.limits;
    if (maxPublishesInFlight > 0 && this.publishes.inFlight >= maxPublishesInFlight) return 'publishes_in_flight';
    if (shedAckAgeMs > 0 && this.oldestAge(now) > shedAckAgeMs) return 'ack_age';
    if (shedLoopDelayMs > 0 && this.loopDelayMs > shedLoopDelayMs) return 'event_loop';
    return undefined;
  }
}

/** Cross-checks of the limits that the schema can't express; the message names the variables. */
export function checkOverloadSettings(s: { publishTimeoutMs: number; shedAckAgeMs: number }): void {
  if (s.shedAckAgeMs > 0 && s.shedAckAgeMs >= s.publishTimeoutMs) {
    throw new Error(
      `GATEWAY_SHED_ACK_AGE_MS (${s.shedAckAgeMs}) must be below GATEWAY_PUBLISH_TIMEOUT_MS (${s.publishTimeoutMs}) or 0: ` +
        'sends must be refused before the acks already in flight time out',
    );
  }
}
