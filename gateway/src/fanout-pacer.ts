/** Timers as the pacer uses them; tests drive a manual one. */
export interface PacerClock {
  now(): number;
  /** Runs `fn` after `ms`; returns how to cancel it. */
  after(ms: number, fn: () => void): () => void;
}

export const pacerSystemClock: PacerClock = {
  now: () => performance.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

export interface PacerSettings {
  /** The least time between two fan-outs of one busy chat (GATEWAY_FANOUT_BATCH_MS); 0: every event goes out at once. */
  readonly intervalMs: number;
  /** A chat with fewer local followers than this is never paced (GATEWAY_FANOUT_BATCH_MIN_FOLLOWERS). */
  readonly minFollowers: number;
}

/** Sends a chat's events, in order, in one synchronous step. */
export type PacedSend<T> = (chatId: string, events: readonly T[]) => void;

interface Waiting<T> {
  readonly events: T[];
  readonly cancel: () => void;
}

/**
 * Write coalescing for chats with many followers on this gateway. A fan-out costs one socket
 * write per follower, and on loopback or a LAN most of a write is the kernel's, whatever its
 * size: 1,000 followers at 200 messages/s is 200,000 writes/s. So a busy chat fans out at most
 * once per `intervalMs`: an event that comes while the chat is inside its interval waits for
 * its end, and everything that waited goes out together, which uWS turns into one write per
 * follower. Leading edge: an event for a chat that has been quiet for the interval goes out at
 * once, so pacing adds no latency until a chat is busier than one fan-out per interval, and at
 * most `intervalMs` after that. Per chat, events leave in the order they came.
 *
 * No I/O of its own. The owner must `drain` a chat before anything changes which sockets get
 * its fan-out (a socket joins or leaves the chat's topic), so every socket sees the chat as if
 * each event had gone out when it came.
 */
export class FanOutPacer<T> {
  private readonly waiting = new Map<string, Waiting<T>>();
  /** When each paced chat last fanned out; a chat drops out once its interval is over. */
  private readonly lastSent = new Map<string, number>();
  private pruneAt = 0;
  private heldTotal = 0;

  constructor(
    private readonly settings: PacerSettings,
    private readonly send: PacedSend<T>,
    private readonly clock: PacerClock = pacerSystemClock,
  ) {}

  /** Events that waited for their chat's interval since start. */
  get held(): number {
    return this.heldTotal;
  }

  /** Chats with events waiting. */
  get waitingChats(): number {
    return this.waiting.size;
  }

  /**
   * An event of `chatId`, which `followers` sockets here follow: sent now, or when the chat's
   * interval ends. True when it waits.
   */
  offer(chatId: string, followers: number, event: T): boolean {
    const waiting = this.waiting.get(chatId);
    if (waiting) {
      waiting.events.push(event);
      return this.hold();
    }
    const { intervalMs, minFollowers } = this.settings;
    if (intervalMs <= 0 || followers < minFollowers) {
      this.send(chatId, [event]);
      return false;
    }
    const now = this.clock.now();
    const last = this.lastSent.get(chatId);
    if (last === undefined || now - last >= intervalMs) {
      this.markSent(chatId, now);
      this.send(chatId, [event]);
      return false;
    }
    const cancel = this.clock.after(last + intervalMs - now, () => this.drain(chatId));
    this.waiting.set(chatId, { events: [event], cancel });
    return this.hold();
  }

  /** Sends what waits for the chat now, if anything. */
  drain(chatId: string): void {
    const waiting = this.waiting.get(chatId);
    if (!waiting) return;
    this.waiting.delete(chatId);
    waiting.cancel();
    this.markSent(chatId, this.clock.now());
    this.send(chatId, waiting.events);
  }

  /** Sends everything that waits (shutdown). */
  drainAll(): void {
    for (const chatId of [...this.waiting.keys()]) this.drain(chatId);
  }

  private hold(): true {
    this.heldTotal += 1;
    return true;
  }

  private markSent(chatId: string, now: number): void {
    this.lastSent.set(chatId, now);
    // Chats whose interval is over are as good as never sent: dropped now and then, so the
    // map holds only the chats busy right now.
    if (now < this.pruneAt) return;
    this.pruneAt = now + Math.max(1000, this.settings.intervalMs * 10);
    for (const [id, at] of this.lastSent) if (now - at >= this.settings.intervalMs) this.lastSent.delete(id);
  }
}
