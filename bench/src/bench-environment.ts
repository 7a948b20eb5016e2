import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openOrm, migrate } from '@neonchat/common';
import {
  startNats,
  startPostgres,
  startRedis,
  createDatabase,
  freePort,
  procStatFields,
  stopChild,
  type RunningServer,
} from '@neonchat/common/testing';
import { waitChildReady } from './load/child-ready.js';
import { interruptTeardown } from './load/interrupt-teardown.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * Where the services run from: this checkout, or `BENCH_SERVICES_ROOT` (another built checkout,
 * e.g. the main branch) to measure a before/after with the same load generator.
 */
const SERVICES_ROOT = process.env.BENCH_SERVICES_ROOT ?? REPO_ROOT;
/** A service not ready within this fails the run (and is ended). */
const SERVICE_READY_TIMEOUT_MS = 30_000;
/** A service asked to stop that has not exited within this is killed. */
const STOP_GRACE_MS = 15_000;

export interface BenchEnvironment {
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly jwtSecret: string;
  /** A fresh migrated database for one scenario. */
  freshDatabase(): Promise<string>;
  /** Starts `node <service>/dist/main.js` as its own process and waits for /readyz. */
  spawnService(
    service: 'api' | 'gateway' | 'persister' | 'presence',
    env: Record<string, string>,
    readyPort: number,
    /** Node flags before the script, e.g. `--cpu-prof` (NODE_OPTIONS refuses those). */
    options?: {
      nodeArgs?: string[];
      /** Another script in the service's place (`--set gateway_impl=floor`), as an absolute path. */
      script?: string;
    },
  ): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** CPU seconds (user + system) used so far, from /proc. */
  cpuSeconds(): number;
  /** Resident set size now, in MiB, from /proc. */
  rssMiB(): number;
  peakRssMiB(): number;
  stop(): Promise<void>;
}

/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux x86-64). */
const CLOCK_TICKS = 100;
const PAGE_BYTES = 4096;

export function procStat(pid: number): { cpuSeconds: number; rssMiB: number } {
  const fields = procStatFields(pid);
  if (!fields) return { cpuSeconds: 0, rssMiB: 0 };
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuSeconds: (utime + stime) / CLOCK_TICKS, rssMiB: (rssPages * PAGE_BYTES) / 2 ** 20 };
}

/**
 * Real servers for benchmarks, started on free loopback ports: NATS with JetStream, a durable
 * PostgreSQL (fsync on: figures must not lean on a setting production would not use) and
 * Redis. URLs in NATS_URL / DATABASE_URL / REDIS_URL are used instead when set.
 */
export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  const servers: RunningServer[] = [];
  const children: ServiceProcess[] = [];
  // An interrupt's tear-down and main's `finally` may both ask.
  const stop = interruptTeardown.stopOnce('bench servers', async () => {
    await Promise.all(children.map((c) => c.stop()));
    await Promise.all(servers.map((s) => s.stop()));
  });
  // A server of its own unless the environment gives its URL.
  const own = async (given: string | undefined, start: () => Promise<RunningServer>): Promise<string> => {
    if (given) return given;
    const server = await start();
    servers.push(server);
    return server.url;
  };
  let natsUrl: string, adminUrl: string, redisUrl: string;
  try {
    natsUrl = await own(process.env.NATS_URL, () => startNats());
    adminUrl = await own(process.env.DATABASE_URL, () => startPostgres({ durable: true }));
    redisUrl = await own(process.env.REDIS_URL, () => startRedis());
  } catch (err) {
    await stop();
    throw err;
  }
  const jwtSecret = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}-secret-padding`;

  async function freshDatabase(): Promise<string> {
    const url = await createDatabase(adminUrl);
    const orm = await openOrm({ databaseUrl: url, poolMax: 1 });
    try {
      await migrate(orm);
    } finally {
      await orm.close(true);
    }
    return url;
  }

  return {
    natsUrl,
    databaseUrl: adminUrl,
    redisUrl,
    jwtSecret,
    freshDatabase,
    async spawnService(service, env, readyPort, options = {}) {
      const serviceEnv = { NODE_ENV: 'production', LOG_LEVEL: 'warn', JWT_SECRET: jwtSecret, ...env };
      const image = service === 'gateway' && !options.script ? GATEWAY_IMAGE : undefined;
      const container = image ? `neonchat-bench-gateway-${readyPort}` : undefined;
      const child = image
        ? spawn('podman', containerArgs(image, container!, serviceEnv), {
            env: {
              ...process.env,
              CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(REPO_ROOT, 'scripts', 'images', 'containers.conf'),
            },
            stdio: ['ignore', 'inherit', 'inherit'],
          })
        : spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? join(SERVICES_ROOT, service, 'dist', 'main.js')], {
            env: { ...process.env, ...serviceEnv },
            stdio: ['ignore', 'inherit', 'inherit'],
          });
      let pid = child.pid ?? 0;
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, procStat(pid).rssMiB)), 500);
      sampler.unref();
      try {
        await waitChildReady(
          child,
          service,
          async () => (await fetch(`http://127.0.0.1:${readyPort}/readyz`).catch(() => undefined))?.ok,
          SERVICE_READY_TIMEOUT_MS,
        );
      } catch (err) {
        clearInterval(sampler);
        if (container) await removeContainer(container);
        throw err;
      }
      // In a container the process to sample is the container's node, not the podman client.
      if (container) pid = (await containerPid(container)) ?? pid;
      const proc: ServiceProcess = {
        name: service,
        pid,
        child,
        cpuSeconds: () => procStat(pid).cpuSeconds,
        rssMiB: () => procStat(pid).rssMiB,
        peakRssMiB: () => Math.max(peak, procStat(pid).rssMiB),
        async stop() {
          clearInterval(sampler);
          // Past the services' own shutdown deadline (10 s): a CPU profile is written at exit.
          if (container) await removeContainer(container);
          await stopChild(child, { graceMs: STOP_GRACE_MS });
        },
      };
      children.push(proc);
      return proc;
    },
    stop,
  };
}

/**
 * `BENCH_GATEWAY_IMAGE=localhost/neonchat-gateway:local` runs each gateway from that image under
 * podman on host networking (`make images` builds it: Node 24 and the current uWS build), to
 * compare the image's runtime with the host's under the same load (issue 33). The image's own
 * command and Node flags apply (`gateway_node_flags` does not); CPU and RSS are the container's
 * node process's. No `--ulimit`: podman then sets every limit, and this host refuses RLIMIT_NPROC;
 * the container inherits the 20,000 open files of the host.
 */
const GATEWAY_IMAGE = process.env.BENCH_GATEWAY_IMAGE || undefined;

function containerArgs(image: string, name: string, env: Record<string, string>): string[] {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return ['run', '--rm', '--name', name, '--network', 'host', ...envArgs, image];
}

async function podmanOutput(args: string[]): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) =>
    execFile(
      'podman',
      args,
      { env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(REPO_ROOT, 'scripts', 'images', 'containers.conf') } },
      (err, stdout) => resolve(err ? undefined : stdout.trim()),
    ),
  );
}

async function containerPid(name: string): Promise<number | undefined> {
  const out = await podmanOutput(['inspect', '--format', '{{.State.Pid}}', name]);
  const pid = Number(out);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function removeContainer(name: string): Promise<void> {
  await podmanOutput(['stop', '-t', '15', name]);
  await podmanOutput(['rm', '-f', name]);
}

export { freePort };
