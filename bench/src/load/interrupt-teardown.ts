import { constants } from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type InterruptSignal = (typeof SIGNALS)[number];

/** What the tear-down needs from the process; tests pass their own. */
export interface InterruptHost {
  on(signal: InterruptSignal, listener: () => void): void;
  exit(code: number): void;
  log(message: string): void;
}

/** A cleanup that hangs can't keep an interrupted bench alive past this (each stop has its own SIGKILL grace well inside it). */
const TEARDOWN_DEADLINE_MS = 120_000;

/**
 * What the bench stops when SIGINT or SIGTERM reaches its main process alone (`kill`,
 * `timeout`): without it the process died at once and left nats-server, PostgreSQL, Redis and
 * the services running. Each piece adds its normal stop when it starts and releases it once
 * stopped; an interrupt runs those still added, newest first (a session before the stack it
 * runs on, the stack before the environment), then exits with 128 + the signal's number. A
 * second signal exits at once.
 */
export class InterruptTeardown {
  private readonly cleanups: Array<{ name: string; cleanup: () => unknown }> = [];
  private signal: InterruptSignal | undefined;

  constructor(
    private readonly host: InterruptHost,
    private readonly deadlineMs = TEARDOWN_DEADLINE_MS,
  ) {}

  get interrupted(): boolean {
    return this.signal !== undefined;
  }

  listen(): void {
    for (const signal of SIGNALS) this.host.on(signal, () => void this.interrupt(signal));
  }

  /** Runs `cleanup` on an interrupt, unless the returned release was called first. */
  add(name: string, cleanup: () => unknown): () => void {
    const entry = { name, cleanup };
    this.cleanups.push(entry);
    return () => {
      const at = this.cleanups.indexOf(entry);
      if (at >= 0) this.cleanups.splice(at, 1);
    };
  }

  /**
   * A piece's one way to stop: `stop` runs once whoever asks first (its owner, or an interrupt
   * while it is still added), and every later call gets the same promise. Once it has run, the
   * interrupt no longer holds it.
   */
  stopOnce<T>(name: string, stop: () => Promise<T>): () => Promise<T> {
    let stopping: Promise<T> | undefined;
    const once = () =>
      (stopping ??= stop().then((result) => {
        release();
        return result;
      }));
    const release = this.add(name, once);
    return once;
  }

  async interrupt(signal: InterruptSignal): Promise<void> {
    const code = 128 + constants.signals[signal];
    if (this.signal) {
      this.host.log(`bench: ${signal} again, exiting without finishing the tear-down`);
      return this.host.exit(code);
    }
    this.signal = signal;
    this.host.log(`bench: interrupted by ${signal}, stopping the services, clients and servers it started`);
    const deadline = setTimeout(() => {
      this.host.log(`bench: tear-down still running after ${this.deadlineMs} ms, exiting`);
      this.host.exit(code);
    }, this.deadlineMs);
    deadline.unref();
    // Popped one at a time: a piece that finishes starting during the tear-down is stopped too.
    for (let entry = this.cleanups.pop(); entry; entry = this.cleanups.pop()) {
      try {
        await entry.cleanup();
      } catch (err) {
        this.host.log(`bench: stopping ${entry.name} failed: ${String(err)}`);
      }
    }
    clearTimeout(deadline);
    this.host.exit(code);
  }
}

/** The bench's own: `main.ts` listens; the environment, stacks and sessions add their stops. */
export const interruptTeardown = new InterruptTeardown({
  on: (signal, listener) => process.on(signal, listener),
  exit: (code) => process.exit(code),
  log: (message) => console.error(message),
});
