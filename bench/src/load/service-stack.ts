import { CO_LOCATED_NATS_GO_ENV, startNats, freePort, type RunningServer } from '@neonchat/common/testing';
import type { BenchEnvironment, ServiceProcess } from '../bench-environment.js';
import { interruptTeardown } from './interrupt-teardown.js';
import { processTree } from './process-sampler.js';
import { fileURLToPath } from 'node:url';

export interface StackOptions {
  /** Gateway processes, each on its own port (each holds at most ~19,900 sockets here). */
  readonly gateways: number;
  readonly databaseUrl: string;
  /** Extra environment for every gateway (e.g. rate limits). */
  readonly gatewayEnv?: Record<string, string>;
  /** Extra environment for the api (e.g. the attachment store). */
  readonly apiEnv?: Record<string, string>;
  /** Start the presence service too (default true). */
  readonly presence?: boolean;
  /** Write a V8 CPU profile of each gateway and the persister into this directory when it exits. */
  readonly profileDir?: string;
  /** Node.js options for the gateways and the persister (e.g. `--trace-gc`, `--max-semi-space-size=32`). */
  readonly serviceNodeArgs?: readonly string[];
  /** The gateways' own Node options, before serviceNodeArgs (GATEWAY_NODE_FLAGS, as every launcher passes them). */
  readonly gatewayNodeArgs?: readonly string[];
  /** GATEWAY_WORKERS of each gateway (1 unless asked: one process per gateway, as the figures so far). */
  readonly gatewayWorkers?: number;
  /**
   * `floor`: each gateway replaced by the floor server (floor-gateway.ts), which relays frames
   * and does nothing else: what the machine and the load generator cost on their own.
   */
  readonly gatewayImpl?: GatewayImpl;
}

export type GatewayImpl = 'neonchat' | 'floor';

const FLOOR_SCRIPT = fileURLToPath(new URL('../floor-gateway.js', import.meta.url));

/** A gateway run as several workers: its CPU and memory are its whole process tree's. */
function withWorkers(gateway: ServiceProcess): ServiceProcess {
  const tree = processTree(gateway.name, gateway.pid);
  let peak = 0;
  const rssMiB = () => {
    const now = tree.rssMiB();
    peak = Math.max(peak, now);
    return now;
  };
  return { ...gateway, cpuSeconds: () => tree.cpuSeconds(), rssMiB, peakRssMiB: () => Math.max(peak, rssMiB()) };
}

export interface ServiceStack {
  readonly natsUrl: string;
  readonly apiUrl: string;
  /** ws://127.0.0.1:<port>/ws of each gateway. */
  readonly gatewayUrls: string[];
  /** The persister's Prometheus endpoint. */
  readonly persisterMetricsUrl: string;
  readonly processes: ServiceProcess[];
  stop(): Promise<void>;
}

/**
 * The whole system as separate processes on loopback: api, persister, presence and k
 * gateways (distinct GATEWAY_PORT / GATEWAY_METRICS_PORT / GATEWAY_ID). Each stack gets its own
 * nats-server so a scenario never inherits another's stream or persister backlog.
 */
export async function startServiceStack(env: BenchEnvironment, options: StackOptions): Promise<ServiceStack> {
  // Tuned as a deployment on one small box would run it (see CO_LOCATED_NATS_GO_ENV).
  const nats: RunningServer = await startNats({ env: CO_LOCATED_NATS_GO_ENV });
  const processes: ServiceProcess[] = [];
  // An interrupt's tear-down and the session's close may both ask.
  const stop = interruptTeardown.stopOnce('service stack', async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await nats.stop();
  });
  const common = {
    NATS_URL: nats.url,
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: env.redisUrl,
    // The bench's users come from fixtures with signed tokens; keep the api's limit out of the way.
    RATE_LIMIT_PER_MINUTE: '1000000',
  };
  // Node options of a service: node_args, then a CPU profile with profile_dir. A gateway's
  // workers inherit its options: with several, Node's own name (with the pid) keeps each
  // process's profile instead of one overwriting the others.
  const nodeOptionsFor = (name: string, processes = 1, own: readonly string[] = []) => {
    const profileName = processes > 1 ? [] : [`--cpu-prof-name=${name}-${Date.now()}.cpuprofile`];
    const nodeArgs = [
      ...own,
      ...(options.serviceNodeArgs ?? []),
      ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, ...profileName] : []),
    ];
    return nodeArgs.length ? { nodeArgs } : {};
  };
  try {
    const apiPort = await freePort();
    const persisterPort = await freePort();
    const presencePort = await freePort();
    const starts: Array<Promise<ServiceProcess>> = [
      env.spawnService('api', { ...common, API_PORT: String(apiPort), ...options.apiEnv }, apiPort),
      env.spawnService(
        'persister',
        { ...common, PERSISTER_METRICS_PORT: String(persisterPort) },
        persisterPort,
        nodeOptionsFor('persister'),
      ),
    ];
    if (options.presence !== false) {
      starts.push(env.spawnService('presence', { ...common, PRESENCE_METRICS_PORT: String(presencePort) }, presencePort));
    }
    const gatewayUrls: string[] = [];
    for (let i = 0; i < options.gateways; i++) {
      const port = await freePort();
      const metricsPort = await freePort();
      gatewayUrls.push(`ws://127.0.0.1:${port}/ws`);
      starts.push(
        env.spawnService(
          'gateway',
          {
            ...common,
            GATEWAY_PORT: String(port),
            GATEWAY_METRICS_PORT: String(metricsPort),
            GATEWAY_ID: `bench-gw-${i + 1}`,
            GATEWAY_WORKERS: String(options.gatewayWorkers ?? 1),
            ...options.gatewayEnv,
          },
          metricsPort,
          {
            // The floor gets the gateway's options too: the same runtime, so only the code differs.
            ...nodeOptionsFor(`gateway-${i + 1}`, options.gatewayWorkers ?? 1, options.gatewayNodeArgs),
            ...(options.gatewayImpl === 'floor' ? { script: FLOOR_SCRIPT } : {}),
          },
        ),
      );
    }
    const settled = await Promise.allSettled(starts);
    for (const s of settled) if (s.status === 'fulfilled') processes.push(s.value);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    // Names in the report: gateway-1, gateway-2, …
    let g = 0;
    const named = processes.map((p): ServiceProcess => {
      if (p.name !== 'gateway') return p;
      const gateway = { ...p, name: `gateway-${++g}` };
      return (options.gatewayWorkers ?? 1) > 1 ? withWorkers(gateway) : gateway;
    });
    return {
      natsUrl: nats.url,
      apiUrl: `http://127.0.0.1:${apiPort}/api/v1`,
      gatewayUrls,
      persisterMetricsUrl: `http://127.0.0.1:${persisterPort}/metrics`,
      processes: named,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
