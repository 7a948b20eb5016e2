import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { childrenOf } from '@neonchat/common/testing';
import { GATEWAY_NODE_FLAGS } from '@neonchat/gateway/node-flags';
import type { ScenarioContext } from '../scenario.js';
import { BenchFixtures, type BenchUser } from './bench-fixtures.js';
import { interruptTeardown } from './interrupt-teardown.js';
import { BackgroundPriority } from './priority.js';
import { ProcessSampler, findPid, pidProcess, processTree, type ProcessUsage, type SampledProcess } from './process-sampler.js';
import { startServiceStack, type GatewayImpl, type ServiceStack, type StackOptions } from './service-stack.js';
import { WorkerPool, type OpenResult } from './worker-pool.js';
import { scrapeSum } from './metrics-scrape.js';
import { nowMs, type ClientSpec } from './worker-protocol.js';

/** The persister's counter of committed chat events (every type). */
const PERSISTED_METRIC = 'neonchat_persister_messages_written_total';

export interface SessionOptions extends Omit<StackOptions, 'databaseUrl'> {
  /** Client worker processes (each holds its share of the sockets, under the open-file cap). */
  readonly workers: number;
}

/** nats-server, PostgreSQL (with its backends) and Redis, found by the port on their command line. */
function serverProcesses(ctx: ScenarioContext, stack: ServiceStack): SampledProcess[] {
  const found: SampledProcess[] = [];
  const nats = findPid('nats-server', `-p ${new URL(stack.natsUrl).port} `);
  if (nats) found.push(pidProcess('nats-server', nats));
  const postgres = findPid('postgres', `-p ${new URL(ctx.env.databaseUrl).port} `);
  if (postgres) found.push(processTree('postgres', postgres));
  const redis = findPid('redis-server', `:${new URL(ctx.env.redisUrl).port}`);
  if (redis) found.push(pidProcess('redis', redis));
  return found;
}

/** Source addresses for client sockets: 127.0.0.2 … 127.0.0.201, so no single address runs out of ports. */
export function sourceAddress(index: number): string {
  return `127.0.0.${2 + (index % 200)}`;
}

/** `--set gateway_workers=N`: each gateway as N processes on its port (GATEWAY_WORKERS); 1 by default. */
export function gatewayWorkersOf(params: Readonly<Record<string, string>>): number {
  const workers = Number(params.gateway_workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new Error(`--set gateway_workers: expected 1-64, got ${params.gateway_workers}`);
  return workers;
}

/** `--set gateway_impl=floor`: the floor server in each gateway's place (service-stack.ts); `neonchat` by default. */
export function gatewayImplOf(params: Readonly<Record<string, string>>): GatewayImpl {
  const impl = params.gateway_impl ?? 'neonchat';
  if (impl !== 'neonchat' && impl !== 'floor') throw new Error(`--set gateway_impl: expected neonchat or floor, got ${impl}`);
  if (impl === 'floor' && gatewayWorkersOf(params) > 1) throw new Error('--set gateway_impl=floor runs one process per gateway');
  return impl;
}

/**
 * `--set gateway_node_flags="…"`: the Node options a gateway is started with, in place of the
 * ones every launcher passes (GATEWAY_NODE_FLAGS: a fixed young generation); an empty value
 * starts it with Node's defaults, to measure what they cost.
 */
export function gatewayNodeFlagsOf(params: Readonly<Record<string, string>>): readonly string[] {
  const given = params.gateway_node_flags;
  if (given === undefined) return GATEWAY_NODE_FLAGS;
  const flags = given.split(' ').filter(Boolean);
  const bad = flags.find((f) => !f.startsWith('--'));
  if (bad !== undefined) throw new Error(`--set gateway_node_flags: expected Node options (--name=value), got ${bad}`);
  return flags;
}

const FLOOR_NOTE =
  'gateway_impl=floor: the gateways are the floor server (bench/src/floor-gateway.ts), which checks tokens and relays frames over uWS and core NATS, and does nothing else: nothing goes to JetStream or PostgreSQL, and there are no rate limits, validation or overload guard.';

/** What a scenario's report says of how its gateways ran: its parameters, and a note for the floor. */
export function gatewayReport(params: Readonly<Record<string, string>>): {
  parameters: { gateway_workers: number; gateway_impl: GatewayImpl; gateway_node_flags: string };
  notes: string[];
} {
  const impl = gatewayImplOf(params);
  return {
    parameters: { gateway_workers: gatewayWorkersOf(params), gateway_impl: impl, gateway_node_flags: gatewayNodeFlagsOf(params).join(' ') },
    notes: impl === 'floor' ? [FLOOR_NOTE] : [],
  };
}

/**
 * Everything one load run needs, set up and torn down together: a fresh database with
 * fixtures, the service processes, the client workers, a CPU/RSS sampler and a once-a-second
 * count of persisted messages, all on one timeline.
 */
export class LoadSession {
  private persistedTimer: NodeJS.Timeout | undefined;
  private lastPersisted = 0;
  private usage: ProcessUsage[] | undefined;
  /** When the service processes were spawned: CPU profiles count their time from there. */
  stackStartedMs = 0;
  /** `--set background_nice=N`: the persister and PostgreSQL below the message path. */
  readonly background: BackgroundPriority;
  /**
   * Ends the clients, puts the priorities back and stops the stack; once, whether the scenario's
   * `finally` or an interrupt's tear-down asks first.
   */
  readonly close = interruptTeardown.stopOnce('load session', () => this.closeOnce());

  private constructor(
    readonly ctx: ScenarioContext,
    readonly fixtures: BenchFixtures,
    readonly stack: ServiceStack,
    readonly pool: WorkerPool,
    readonly sampler: ProcessSampler,
  ) {
    this.background = new BackgroundPriority(Number(ctx.params.background_nice ?? 0));
  }

  static async start(ctx: ScenarioContext, options: SessionOptions): Promise<LoadSession> {
    const databaseUrl = await ctx.env.freshDatabase();
    const fixtures = BenchFixtures.open(databaseUrl, ctx.env.jwtSecret);
    let stack: ServiceStack | undefined;
    try {
      // `--set profile_dir=<dir>`: V8 CPU profiles of the gateways, for docs/BENCHMARKS.md.
      const profileDir = options.profileDir ?? (ctx.params.profile_dir ? resolve(ctx.params.profile_dir) : undefined);
      const stackStartedMs = nowMs();
      // `--set node_args="--trace-gc …"`: Node.js options for the gateways and the persister.
      const serviceNodeArgs = (ctx.params.node_args ?? '').split(' ').filter(Boolean);
      const gatewayWorkers = gatewayWorkersOf(ctx.params);
      stack = await startServiceStack(ctx.env, {
        ...options,
        databaseUrl,
        ...(profileDir ? { profileDir } : {}),
        ...(serviceNodeArgs.length ? { serviceNodeArgs } : {}),
        gatewayWorkers,
        gatewayImpl: gatewayImplOf(ctx.params),
        gatewayNodeArgs: gatewayNodeFlagsOf(ctx.params),
      });
      const pool = WorkerPool.start(options.workers, profileDir);
      const sampled = [
        ...stack.processes,
        ...serverProcesses(ctx, stack),
        ...pool.pids.map((pid, i) => pidProcess(`client-${i + 1}`, pid)),
      ];
      const sampler = new ProcessSampler(sampled, pool.timeline, nowMs);
      const session = new LoadSession(ctx, fixtures, stack, pool, sampler);
      session.stackStartedMs = stackStartedMs;
      session.lowerBackground(ctx);
      sampler.start();
      session.startPersistedCounter();
      return session;
    } catch (err) {
      await stack?.stop();
      await fixtures.close();
      throw err;
    }
  }

  /** The persister and the PostgreSQL server with its backends, at `background_nice`. */
  private lowerBackground(ctx: ScenarioContext): void {
    if (!this.background.nice) return;
    const postgres = findPid('postgres', `-p ${new URL(ctx.env.databaseUrl).port} `);
    const pids = this.stack.processes.filter((p) => p.name === 'persister').map((p) => p.pid);
    if (postgres) pids.push(postgres, ...childrenOf(postgres));
    this.background.apply(pids);
    ctx.log(this.background.note());
  }

  get timeline() {
    return this.pool.timeline;
  }

  /** Seconds since the run's epoch, for marking phases. */
  second(): number {
    return this.timeline.secondAt(nowMs());
  }

  /**
   * The `persisted` series, every second: chat events the persister committed, from its own
   * counter. Counting the rows in PostgreSQL every second scanned the growing table on the
   * cores the message path needs (docs/BENCHMARKS.md, "the bench's own load");
   * `waitPersisted` still counts the rows, once the load is over.
   */
  private startPersistedCounter(): void {
    let busy = false;
    this.persistedTimer = setInterval(() => {
      if (busy) return;
      busy = true;
      const second = this.second();
      scrapeSum(this.stack.persisterMetricsUrl, PERSISTED_METRIC)
        .then((n) => {
          if (Number.isNaN(n)) return;
          this.timeline.sample(second, 'persisted', n);
          this.timeline.sample(second, 'persisted_per_s', n - this.lastPersisted);
          this.lastPersisted = n;
        })
        .catch((err: unknown) => this.ctx.log(`persisted count failed: ${String(err)}`))
        .finally(() => (busy = false));
    }, 1000);
  }

  /** Opens the clients (see WorkerPool.open); with profiling on, logs the profile window it covers. */
  async open(specs: ClientSpec[], concurrency: number, options: Parameters<WorkerPool['open']>[2] = {}): Promise<OpenResult> {
    const started = nowMs();
    const opened = await this.pool.open(specs, concurrency, options);
    if (this.ctx.params.profile_dir) {
      const since = (ms: number) => ((ms - this.stackStartedMs) / 1000).toFixed(1);
      this.ctx.log(`profile window of opening ${specs.length} sockets: --from-s ${since(started)} --to-s ${since(nowMs())}`);
    }
    return opened;
  }

  /** Client specs for users spread over the gateways and source addresses. */
  specs(
    users: BenchUser[],
    sendChat: (index: number) => string | undefined = () => undefined,
    gatewayOf?: (index: number) => number,
  ): ClientSpec[] {
    const urls = this.stack.gatewayUrls;
    return users.map((u, i) => {
      const chat = sendChat(i);
      return {
        url: `${urls[(gatewayOf ? gatewayOf(i) : i) % urls.length]}?token=${encodeURIComponent(u.token)}`,
        localAddress: sourceAddress(i),
        ...(chat ? { sendChatId: chat } : {}),
      };
    });
  }

  /** Waits until at least `expected` messages are in PostgreSQL; the count and how long it took. */
  async waitPersisted(expected: number, timeoutMs: number): Promise<{ persisted: number; waitedMs: number }> {
    if (gatewayImplOf(this.ctx.params) === 'floor') return { persisted: 0, waitedMs: 0 }; // the floor stores nothing
    const started = nowMs();
    let persisted = await this.fixtures.persistedCount();
    while (persisted < expected && nowMs() - started < timeoutMs) {
      await new Promise((r) => setTimeout(r, 100));
      persisted = await this.fixtures.persistedCount();
    }
    return { persisted, waitedMs: nowMs() - started };
  }

  /**
   * Average CPU of each sampled process over timeline seconds [from, to), in % of one core,
   * busiest first: where the machine's two cores went during one phase.
   */
  cpuDuring(from: number, to: number): Array<{ name: string; percent: number }> {
    const rows = this.timeline.rows(from, to);
    const sums = new Map<string, number>();
    for (const row of rows)
      for (const [key, value] of Object.entries(row))
        if (key.endsWith('_cpu_pct')) sums.set(key.slice(0, -'_cpu_pct'.length), (sums.get(key.slice(0, -'_cpu_pct'.length)) ?? 0) + value);
    return [...sums.entries()]
      .map(([name, sum]) => ({ name, percent: Math.round(sum / Math.max(1, rows.length)) }))
      .sort((a, b) => b.percent - a.percent);
  }

  /** `gateway-1 45 %, nats-server 20 %, … (total 180 % of 200 %)` for a phase. */
  cpuLine(from: number, to: number): string {
    const cpu = this.cpuDuring(from, to).filter((c) => c.percent > 0);
    const total = cpu.reduce((a, c) => a + c.percent, 0);
    return `${cpu.map((c) => `${c.name} ${c.percent} %`).join(', ')} (total ${total} % of ${availableParallelism() * 100} %)`;
  }

  /** Stops sampling (the usage is kept for the report) without closing anything yet. */
  stopSampling(): ProcessUsage[] {
    this.usage ??= this.sampler.stop();
    if (this.persistedTimer) clearInterval(this.persistedTimer);
    return this.usage;
  }

  private async closeOnce(): Promise<ProcessUsage[]> {
    const usage = this.stopSampling();
    this.background.restore();
    await this.pool.close().catch((err: unknown) => this.ctx.log(`closing clients failed: ${String(err)}`));
    await this.stack.stop();
    await this.fixtures.close();
    return usage;
  }
}
