/**
 * Gathers items that arrive in the same turn of the event loop (NATS hands over a socket read's
 * messages one after another) and applies them together, in arrival order. Batches are sent in
 * order on one Redis connection, so they are applied in order even while several are in flight.
 */
export class ReportBatcher<T> {
  private batch: T[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly maxBatch: number,
    private readonly apply: (items: T[]) => Promise<void>,
    private readonly onError: (err: unknown, items: T[]) => void,
  ) {}

  push(item: T): void {
    this.batch.push(item);
    if (this.batch.length >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Resolves when everything pushed so far has been applied (failures go to `onError`). */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.batch.length === 0) return;
    const items = this.batch;
    this.batch = [];
    const done: Promise<void> = this.apply(items)
      .catch((err: unknown) => this.onError(err, items))
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }
}
