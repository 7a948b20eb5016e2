import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';
import { Timeline } from './timeline.js';
import { nowMs, type ClientSpec, type CoordinatorMessage, type ReconnectConfig, type WorkerMessage } from './worker-protocol.js';
import { mergeCounts, type ReconnectCounts } from './reconnect-math.js';

const WORKER_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'bench-worker.js');

export interface OpenResult {
  readonly held: number;
  readonly failed: number;
  readonly errors: Record<string, number>;
  readonly connect: LatencySummary;
  readonly seconds: number;
}

export interface SendResult {
  readonly unacked: number;
  readonly skipped: number;
}

/**
 * The coordinator's side of the client workers: forks them, deals the clients out round-robin
 * (so every worker holds sockets on every gateway and every source address), splits the send
 * rate by how many senders each holds, and merges their ticks into one Timeline.
 */
export class WorkerPool {
  readonly timeline: Timeline;
  private readonly workers: ChildProcess[] = [];
  private readonly listeners = new Set<(m: WorkerMessage) => void>();
  private senderCounts: number[] = [];
  private failure: Error | undefined;

  private constructor(count: number, profileDir?: string) {
    this.timeline = new Timeline(nowMs());
    for (let i = 0; i < count; i++) {
      const child = fork(WORKER_ENTRY, [], {
        env: { ...process.env, BENCH_WORKER_INDEX: String(i) },
        execArgv: profileDir
          ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=client-${i + 1}-${Date.now()}.cpuprofile`]
          : [],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      child.on('message', (m: WorkerMessage) => this.dispatch(m));
      child.on('exit', (code, signal) => {
        if (code !== 0 && code !== null) this.fail(new Error(`bench worker ${i} exited with ${code}`));
        if (signal) this.fail(new Error(`bench worker ${i} killed by ${signal}`));
      });
      this.workers.push(child);
    }
  }

  /** `profileDir`: each worker writes a V8 CPU profile there when it exits. */
  static start(count: number, profileDir?: string): WorkerPool {
    return new WorkerPool(Math.max(1, count), profileDir);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid ?? 0);
  }

  private dispatch(m: WorkerMessage): void {
    if (m.type === 'tick') this.timeline.addTick(m);
    if (m.type === 'fatal') this.fail(new Error(`bench worker ${m.worker}: ${m.message}`));
    for (const l of this.listeners) l(m);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const l of this.listeners) l({ type: 'fatal', worker: -1, message: err.message });
  }

  /** Waits for one message of `type` from every worker. */
  private collect<T extends WorkerMessage['type']>(type: T, timeoutMs: number): Promise<Array<Extract<WorkerMessage, { type: T }>>> {
    return new Promise((resolve, reject) => {
      const got: Array<Extract<WorkerMessage, { type: T }>> = [];
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        if (err) reject(err);
        else resolve(got);
      };
      const listener = (m: WorkerMessage) => {
        if (m.type === 'fatal') return done(new Error(m.message));
        if (m.type === type) got.push(m as Extract<WorkerMessage, { type: T }>);
        if (got.length === this.workers.length) done();
      };
      const timer = setTimeout(() => done(new Error(`bench workers: no '${type}' from all within ${timeoutMs} ms`)), timeoutMs);
      if (this.failure) return done(this.failure);
      this.listeners.add(listener);
    });
  }

  private tell(worker: number, message: CoordinatorMessage): void {
    this.workers[worker]?.send(message);
  }

  private tellAll(message: CoordinatorMessage): void {
    for (let i = 0; i < this.workers.length; i++) this.tell(i, message);
  }

  /**
   * Opens every client (each waits for its `ready` frame), `concurrency` at a time per worker.
   * `workerOf` picks each client's worker; keeping both ends of a chat in one worker times
   * send → receive on one clock.
   */
  async open(
    specs: ClientSpec[],
    concurrency: number,
    options: { workerOf?: (index: number) => number; timeoutMs?: number; reconnect?: ReconnectConfig } = {},
  ): Promise<OpenResult> {
    const shares: ClientSpec[][] = this.workers.map(() => []);
    const workerOf = options.workerOf ?? ((i: number) => i);
    specs.forEach((spec, i) => shares[workerOf(i) % shares.length]!.push(spec));
    this.senderCounts = shares.map((s) => s.filter((c) => c.sendChatId !== undefined).length);
    const started = nowMs();
    const opened = this.collect('opened', options.timeoutMs ?? 900_000);
    const reconnect = options.reconnect ? { reconnect: options.reconnect } : {};
    shares.forEach((clients, i) => this.tell(i, { type: 'open', clients, concurrency, epochMs: this.timeline.epochMs, ...reconnect }));
    const results = await opened;
    const connect = new LatencyHistogram();
    const errors: Record<string, number> = {};
    for (const r of results) {
      connect.add(r.connect);
      for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n;
    }
    return {
      held: results.reduce((a, r) => a + r.held, 0),
      failed: results.reduce((a, r) => a + r.failed, 0),
      errors,
      connect: connect.summary(),
      seconds: (nowMs() - started) / 1000,
    };
  }

  private shareOf(totalRate: number): number[] {
    const senders = this.senderCounts.reduce((a, b) => a + b, 0);
    return this.senderCounts.map((n) => (senders === 0 ? 0 : (totalRate * n) / senders));
  }

  /** Sends at `totalRate` msg/s for `durationMs`; resolves when every worker's acks settled. */
  async send(totalRate: number, durationMs: number, textBytes = 100): Promise<SendResult> {
    const done = this.collect('send_done', durationMs + 60_000);
    this.shareOf(totalRate).forEach((ratePerSecond, i) => this.tell(i, { type: 'send', ratePerSecond, durationMs, textBytes }));
    const results = await done;
    return { unacked: results.reduce((a, r) => a + r.unacked, 0), skipped: results.reduce((a, r) => a + r.skipped, 0) };
  }

  /** Ends a `send` before its duration (its promise resolves once the acks settled). */
  stopSending(): void {
    this.tellAll({ type: 'stop_sending' });
  }

  setRate(totalRate: number): void {
    this.shareOf(totalRate).forEach((ratePerSecond, i) => this.tell(i, { type: 'set_rate', ratePerSecond }));
  }

  trackMessages(enabled: boolean): void {
    this.tellAll({ type: 'track_messages', enabled });
  }

  /**
   * Every worker's reconnect counts, merged (workers opened with `reconnect`); `final`: with the
   * missed-message check and every reconnect time (close → ready, close → resumed).
   */
  async reconnectReport(final: boolean): Promise<{ counts: ReconnectCounts; toReadyMs: number[]; toResumedMs: number[] }> {
    const reports = this.collect('reconnect_report', 60_000);
    this.tellAll({ type: 'reconnect_report', final });
    const all = await reports;
    return {
      counts: mergeCounts(all.map((r) => r.counts)),
      toReadyMs: all.flatMap((r) => r.times?.toReadyMs ?? []),
      toResumedMs: all.flatMap((r) => r.times?.toResumedMs ?? []),
    };
  }

  /** Closes every client and waits for the workers to exit. */
  async close(): Promise<void> {
    const alive = this.workers.filter((w) => w.exitCode === null && w.connected);
    const exited = Promise.all(alive.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve()))));
    for (const w of alive) w.send({ type: 'close' } satisfies CoordinatorMessage);
    const timer = setTimeout(() => alive.forEach((w) => w.kill('SIGKILL')), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
