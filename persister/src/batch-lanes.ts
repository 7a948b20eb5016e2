/** Timers as the lanes use them; tests drive a manual one. */
export interface LaneClock {
  now(): number;
  /** Runs `fn` after `ms`; returns how to cancel it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: LaneClock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

export interface LaneSettings {
  /** Lanes, each writing one batch at a time (PERSISTER_WRITE_CONCURRENCY). */
  readonly lanes: number;
  /** A lane's batch is cut at this many items (PERSISTER_BATCH_SIZE)… */
  readonly batchSize: number;
  /** …or when its oldest item waited this long (PERSISTER_BATCH_WAIT_MS). */
  readonly batchWaitMs: number;
}

/** Writes one batch and settles every item of it itself; a rejection is logged by the caller's `onCrash`. */
export type BatchWriter<T> = (batch: T[]) => Promise<void>;

interface Lane<T> {
  buffer: T[];
  /** When the oldest item in `buffer` arrived. */
  since: number;
  busy: boolean;
}

/**
 * The persister's batching, with no I/O of its own: items are sorted into lanes by key (a
 * chat always takes the same lane, so its items are written in arrival order), each lane is
 * in at most one batch at a time, cut when it is full or its oldest item is due (with nothing
 * else being written, a batch with room takes along what waits in the other idle lanes).
 * Lanes hold disjoint keys, so concurrent writes never wait on each other's rows.
 */
export class BatchLanes<T> {
  private readonly lanes: Array<Lane<T>>;
  private inFlight = 0;
  private cancelBatchTimer: (() => void) | undefined;
  private cancelResumeTimer: (() => void) | undefined;
  /** No batch starts before this time (the database was unavailable). */
  private resumeAt = 0;
  private flushing = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly settings: LaneSettings,
    private readonly keyOf: (item: T) => string,
    private readonly write: BatchWriter<T>,
    private readonly onCrash: (err: unknown, size: number) => void,
    private readonly clock: LaneClock = systemClock,
  ) {
    this.lanes = Array.from({ length: settings.lanes }, () => ({ buffer: [], since: 0, busy: false }));
  }

  /** Items waiting for a batch (not the ones being written). */
  get buffered(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane.buffer.length;
    return n;
  }

  get writing(): number {
    return this.inFlight;
  }

  add(item: T): void {
    const lane = this.lanes[laneOf(this.keyOf(item), this.lanes.length)]!;
    if (!lane.buffer.length) lane.since = this.clock.now();
    lane.buffer.push(item);
    if (!lane.busy && (lane.buffer.length >= this.settings.batchSize || !this.cancelBatchTimer)) this.pump();
  }

  /**
   * Holds every new batch back until `at`, and hands back what waits in the lanes so the
   * caller can return it (nak) rather than keep it past its ack wait.
   */
  pauseUntil(at: number): T[] {
    this.resumeAt = Math.max(this.resumeAt, at);
    const waiting: T[] = [];
    for (const lane of this.lanes) {
      waiting.push(...lane.buffer);
      lane.buffer = [];
    }
    return waiting;
  }

  /** Writes everything buffered now, pause or not, and resolves once nothing is left or in flight. */
  async flush(): Promise<void> {
    this.flushing = true;
    this.cancelBatchTimer?.();
    this.cancelResumeTimer?.();
    this.cancelBatchTimer = this.cancelResumeTimer = undefined;
    this.pump();
    while (this.inFlight > 0 || this.buffered > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      this.pump();
    }
  }

  /** Starts a batch in every idle lane that has one due; called when items arrive or a write ends. */
  private pump(): void {
    const now = this.clock.now();
    if (now < this.resumeAt && !this.flushing) {
      if (!this.cancelResumeTimer && this.buffered) {
        this.cancelResumeTimer = this.clock.after(this.resumeAt - now, () => {
          this.cancelResumeTimer = undefined;
          this.pump();
        });
      }
      return;
    }
    let nextDue = Infinity;
    for (const lane of this.lanes) {
      if (lane.busy || !lane.buffer.length) continue;
      const full = lane.buffer.length >= this.settings.batchSize;
      if (!full && !this.flushing && now - lane.since < this.settings.batchWaitMs) {
        nextDue = Math.min(nextDue, lane.since + this.settings.batchWaitMs);
        continue;
      }
      this.start(lane, now);
    }
    if (nextDue !== Infinity && !this.cancelBatchTimer) {
      this.cancelBatchTimer = this.clock.after(Math.max(0, nextDue - now), () => {
        this.cancelBatchTimer = undefined;
        this.pump();
      });
    }
  }

  /**
   * Starts a batch of `lane`, which is due. When nothing else is being written, a batch with
   * room takes along the whole of what waits in the other idle lanes, as far as it fits: at
   * moderate rates that is one transaction every batch wait instead of one per lane, and it
   * costs nobody time, since what it takes only goes out sooner. Every lane it takes from is
   * busy until it is written, so two writes of a replica still never touch the same chat.
   * While a write is in flight (a backlog) lanes go on their own and write concurrently.
   */
  private start(lane: Lane<T>, now: number): void {
    const size = this.settings.batchSize;
    const group = [lane];
    let batch = this.take(lane, size, now);
    if (this.inFlight === 0) {
      for (const other of this.lanes) {
        if (other === lane || other.busy || !other.buffer.length) continue;
        if (batch.length + other.buffer.length > size) continue;
        batch = batch.concat(this.take(other, size, now));
        group.push(other);
      }
    }
    for (const l of group) l.busy = true;
    this.inFlight += 1;
    this.write(batch)
      .catch((err: unknown) => this.onCrash(err, batch.length))
      .finally(() => {
        for (const l of group) l.busy = false;
        this.inFlight -= 1;
        this.pump();
        if (this.inFlight === 0 || this.flushing) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
  }

  /** Takes up to `n` of the lane's oldest items; what is left counts its wait from now. */
  private take(lane: Lane<T>, n: number, now: number): T[] {
    const taken = lane.buffer.length <= n ? lane.buffer : lane.buffer.slice(0, n);
    lane.buffer = taken === lane.buffer ? [] : lane.buffer.slice(n);
    lane.since = now;
    return taken;
  }
}

/** The lane of a key: FNV-1a, so a chat always takes the same lane. */
export function laneOf(key: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}
