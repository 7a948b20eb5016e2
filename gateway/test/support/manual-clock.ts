import type { PacerClock } from '../../src/fanout-pacer.js';

/** A clock the test moves by hand; timers fire in time order when it passes them. */
export class ManualClock implements PacerClock {
  private t = 0;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      due.live = false;
      due.fn();
    }
    this.t = until;
  }
  get pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}
