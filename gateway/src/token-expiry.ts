/**
 * Closes sockets whose token ran out. Sockets are bucketed by their expiry second and one
 * timer per second pops the due buckets: no timer per socket, no sweep over every socket.
 */
export class TokenExpiry<S> {
  private readonly buckets = new Map<number, Set<S>>();
  private readonly dueOf = new Map<S, number>();
  private readonly timer: NodeJS.Timeout;
  private checkedUpTo = Math.floor(Date.now() / 1000);

  constructor(private readonly onExpired: (socket: S) => void) {
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  /** `exp` in unix seconds, as in the token. */
  track(socket: S, exp: number): void {
    // A second already swept is swept again on the next tick only through the current one.
    const due = Math.max(exp, this.checkedUpTo);
    let bucket = this.buckets.get(due);
    if (!bucket) this.buckets.set(due, (bucket = new Set()));
    bucket.add(socket);
    this.dueOf.set(socket, due);
  }

  forget(socket: S): void {
    const due = this.dueOf.get(socket);
    if (due === undefined) return;
    this.dueOf.delete(socket);
    const bucket = this.buckets.get(due);
    bucket?.delete(socket);
    if (bucket?.size === 0) this.buckets.delete(due);
  }

  /** Expires every socket whose `exp` is at or before now (a token is invalid from its exp on). */
  tick(nowSeconds: number = Math.floor(Date.now() / 1000)): void {
    for (let s = Math.min(this.checkedUpTo, nowSeconds); s <= nowSeconds; s++) {
      const bucket = this.buckets.get(s);
      if (!bucket) continue;
      this.buckets.delete(s);
      for (const socket of bucket) {
        this.dueOf.delete(socket);
        this.onExpired(socket);
      }
    }
    this.checkedUpTo = nowSeconds;
  }

  close(): void {
    clearInterval(this.timer);
    this.buckets.clear();
    this.dueOf.clear();
  }
}
