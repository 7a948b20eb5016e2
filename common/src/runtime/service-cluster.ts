import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { isWorkerMessage, type PrimaryMessage, type WorkerMetrics } from './cluster-messages.js';
import type { Logger } from './logger.js';
import { startOpsServer, type MetricsSource, type OpsServer } from './ops-server.js';
import { createShutdown } from './shutdown.js';

/** A worker that stays up this long has started well: its crash count starts again. */
const QUICK_EXIT_MS = 10_000;
/** A worker that cannot stay up this many times in a row gives the whole service up. */
const MAX_QUICK_EXITS = 5;
const RESTART_BASE_MS = 250;
const RESTART_MAX_MS = 10_000;
/** A worker that has not answered a metrics request in this long is left out of that scrape. */
const METRICS_TIMEOUT_MS = 2000;

/**
 * When to start a worker again after it died: at once the first time, then after a delay that
 * doubles with each crash in a row soon after start; undefined once it never stays up.
 */
export class RestartPolicy {
  private readonly quickExits = new Map<number, number>();

  constructor(
    private readonly limits = {
      quickExitMs: QUICK_EXIT_MS,
      maxQuickExits: MAX_QUICK_EXITS,
      baseMs: RESTART_BASE_MS,
      maxMs: RESTART_MAX_MS,
    },
  ) {}

  /** Delay before worker `index` starts again, having been up `uptimeMs`; undefined: give up. */
  delayAfterExit(index: number, uptimeMs: number): number | undefined {
    const quick = uptimeMs < this.limits.quickExitMs ? (this.quickExits.get(index) ?? 0) + 1 : 0;
    this.quickExits.set(index, quick);
    if (quick >= this.limits.maxQuickExits) return undefined;
    return quick === 0 ? 0 : Math.min(this.limits.maxMs, this.limits.baseMs * 2 ** (quick - 1));
  }
}

/**
 * The service is ready once every worker has served (at start, so that the first connections
 * are spread over all of them, not all taken by the first worker up), and from then on while it
 * is not stopping, at least one worker serves, and every worker that serves is ready. A worker
 * restarting does not listen yet, so new connections go to the others and it does not make the
 * whole instance unready.
 */
export function clusterReady(stopping: boolean, allServedOnce: boolean, states: Iterable<boolean | undefined>): boolean {
  if (stopping || !allServedOnce) return false;
  let serving = 0;
  for (const ready of states) {
    if (ready === undefined) continue;
    if (!ready) return false;
    serving += 1;
  }
  return serving > 0;
}

/**
 * What a dead worker leaves in the instance's totals: its counters and histograms as last seen
 * (those summed), added to what earlier dead workers left. Without it the instance's counters
 * would fall when a worker dies, and Prometheus would read the fall as a reset: `rate()` and
 * `increase()` would jump by the whole of the other workers' totals. Gauges leave with it.
 */
export async function retire(retired: WorkerMetrics, last: WorkerMetrics): Promise<WorkerMetrics> {
  // The JSON says 'counter', 'histogram', … (prom-client's types name an enum).
  const kind = (m: WorkerMetrics[number]) => m.type as unknown as string;
  const monotonic = last.filter((m) => (kind(m) === 'counter' || kind(m) === 'histogram') && (m.aggregator ?? 'sum') === 'sum');
  return (await AggregatorRegistry.aggregate([retired, monotonic]).getMetricsAsJSON()) as WorkerMetrics;
}

export interface ServiceClusterOptions {
  readonly name: string;
  readonly workers: number;
  readonly logger: Logger;
  /** Where the primary serves /healthz, /readyz and /metrics (the workers' metrics, aggregated). */
  readonly ops: { host: string; port: number };
  /** Each worker's own shutdown deadline; the primary waits a little longer, then kills. */
  readonly shutdownTimeoutMs: number;
  /** Variables for worker `index` (0-based) on top of the primary's environment. */
  readonly workerEnv: (index: number) => Record<string, string>;
  /** For tests: the restart policy, whether SIGTERM/SIGINT are handled, and how a missed deadline exits. */
  readonly restartPolicy?: RestartPolicy;
  readonly signals?: boolean;
  readonly exit?: (code: number) => void;
}

interface Slot {
  worker: Worker;
  startedAt: number;
  /** undefined until the worker serves. */
  ready: boolean | undefined;
}

export interface ServiceCluster {
  readonly ops: OpsServer;
  /** Worker pids by index, for tests and logs. */
  pids(): number[];
  isReady(): boolean;
  stop(): Promise<void>;
}

/**
 * A service as several processes (node:cluster) that serve one port together, so it uses more
 * than one core: the kernel spreads new connections over the workers' listening sockets
 * (uWS listens with SO_REUSEPORT), each worker is a whole instance with its own connections, and
 * the primary only supervises. It restarts a worker that dies (backing off while one keeps
 * dying, and giving up with exit code 1 if it never stays up), serves the ops port with the
 * workers' metrics summed (prom-client's aggregation), and on SIGTERM/SIGINT tells every worker
 * to drain, waits for them, and exits.
 *
 * The metric requests are our own and not prom-client's `clusterMetrics()`: that one waits for
 * every connected worker, so a scrape while a worker starts or dies fails after 5 s.
 */
export async function runServiceCluster(options: ServiceClusterOptions): Promise<ServiceCluster> {
  const { logger } = options;
  const slots = new Map<number, Slot>();
  const policy = options.restartPolicy ?? new RestartPolicy();
  const pendingMetrics = new Map<number, { waiting: Set<number>; responses: WorkerMetrics[]; done: () => void }>();
  let nextRequest = 0;
  let stopping = false;
  let gaveUp = false;
  let allServedOnce = false;
  /** Each worker's metrics as last scraped, and what dead workers left (see `retire`). */
  const lastSeen = new Map<number, WorkerMetrics>();
  let retired: WorkerMetrics = [];
  let retiring = Promise.resolve();

  const own = new Registry();
  own.setDefaultLabels({ service: options.name });
  new Gauge({
    name: 'neonchat_service_workers',
    help: 'Worker processes of this instance, by state (starting: not serving yet)',
    labelNames: ['state'],
    registers: [own],
    collect() {
      const states = [...slots.values()].map((s) => s.ready);
      this.set({ state: 'ready' }, states.filter((r) => r === true).length);
      this.set({ state: 'not_ready' }, states.filter((r) => r === false).length);
      this.set({ state: 'starting' }, states.filter((r) => r === undefined).length);
    },
  });
  const restarts = new Counter({
    name: 'neonchat_service_worker_restarts_total',
    help: 'Workers started again after they died',
    registers: [own],
  });

  const send = (slot: Slot, message: PrimaryMessage) => {
    if (slot.worker.isConnected()) slot.worker.send(message);
  };

  function fork(index: number): void {
    const worker = cluster.fork(options.workerEnv(index));
    const slot: Slot = { worker, startedAt: Date.now(), ready: undefined };
    slots.set(index, slot);
    worker.on('message', (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.type === 'neonchat:state') {
        if (slot.ready !== message.ready) logger.info({ worker: index + 1, pid: worker.process.pid, ready: message.ready }, 'worker state');
        slot.ready = message.ready;
        allServedOnce ||= slots.size === options.workers && [...slots.values()].every((s) => s.ready !== undefined);
        return;
      }
      const request = pendingMetrics.get(message.id);
      if (!request?.waiting.delete(worker.id)) return;
      request.responses.push(message.metrics);
      lastSeen.set(worker.id, message.metrics);
      if (request.waiting.size === 0) request.done();
    });
    worker.on('exit', (code, signal) => {
      if (slots.get(index) === slot) slots.delete(index);
      const last = lastSeen.get(worker.id);
      lastSeen.delete(worker.id);
      if (last) retiring = retiring.then(async () => void (retired = await retire(retired, last))).catch(() => undefined);
      for (const request of pendingMetrics.values()) if (request.waiting.delete(worker.id) && request.waiting.size === 0) request.done();
      if (stopping) return;
      const delay = policy.delayAfterExit(index, Date.now() - slot.startedAt);
      if (delay === undefined) {
        logger.fatal({ worker: index + 1, code, signal }, 'worker keeps dying soon after it starts; stopping the service');
        gaveUp = true;
        void shutdown.run('a worker never stays up');
        return;
      }
      logger.error({ worker: index + 1, pid: worker.process.pid, code, signal, restart_in_ms: delay }, 'worker died; starting it again');
      restarts.inc();
      setTimeout(() => {
        if (!stopping) fork(index);
      }, delay).unref();
    });
  }

  async function gather(): Promise<WorkerMetrics[]> {
    const id = nextRequest++;
    const serving = [...slots.values()].filter((s) => s.ready !== undefined && s.worker.isConnected());
    if (serving.length === 0) return [];
    return new Promise((resolve) => {
      const responses: WorkerMetrics[] = [];
      const timer = setTimeout(() => done(), METRICS_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        pendingMetrics.delete(id);
        resolve(responses);
      };
      pendingMetrics.set(id, { waiting: new Set(serving.map((s) => s.worker.id)), responses, done });
      for (const slot of serving) send(slot, { type: 'neonchat:metrics-request', id });
    });
  }

  const metrics: MetricsSource = {
    contentType: own.contentType,
    async metrics() {
      const alive = await gather();
      await retiring;
      const all = [...alive, retired, (await own.getMetricsAsJSON()) as WorkerMetrics];
      return AggregatorRegistry.aggregate(all).metrics();
    },
  };
  const isReady = () =>
    clusterReady(
      stopping,
      allServedOnce,
      [...slots.values()].map((s) => s.ready),
    );

  async function stopWorkers(): Promise<void> {
    stopping = true;
    const running = [...slots.values()];
    const exits = running.map((slot) =>
      slot.worker.isDead() ? Promise.resolve(0) : new Promise<number>((resolve) => slot.worker.once('exit', (code) => resolve(code ?? 1))),
    );
    for (const slot of running) send(slot, { type: 'neonchat:shutdown' });
    const killer = setTimeout(() => {
      for (const slot of running) if (!slot.worker.isDead()) slot.worker.process.kill('SIGKILL');
    }, options.shutdownTimeoutMs + 1000);
    const codes = await Promise.all(exits);
    clearTimeout(killer);
    const failed = codes.filter((c) => c !== 0).length;
    if (failed > 0) throw new Error(`${failed} of ${running.length} workers did not exit cleanly`);
  }

  const ops = await startOpsServer({ ...options.ops, metrics, isReady });
  const shutdown = createShutdown(logger, options.shutdownTimeoutMs + 3000, options.exit);
  shutdown.add('workers', stopWorkers);
  shutdown.add('ops server', () => ops.close());
  shutdown.add('exit code', () => {
    if (gaveUp) process.exitCode = 1;
  });
  if (options.signals !== false) shutdown.installSignalHandlers();
  for (let i = 0; i < options.workers; i += 1) fork(i);
  logger.info({ workers: options.workers, ops_port: options.ops.port }, `${options.name} running as ${options.workers} workers`);
  return {
    ops,
    pids: () => [...slots.values()].map((s) => s.worker.process.pid ?? 0),
    isReady,
    stop: () => shutdown.run('stop'),
  };
}
