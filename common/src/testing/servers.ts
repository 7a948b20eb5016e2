/**
 * Real servers for tests: nats-server with JetStream, PostgreSQL and Redis, each on a free
 * loopback port with its data in a fresh temp dir, started from the installed binaries and
 * stopped (and cleaned up) afterwards. Nothing here is mocked.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { provisionStreams, type StreamSettings } from '../runtime/nats.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server; its data dir is removed unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Stops it keeping its data, for a restart with `start()`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function findBinary(name: string, candidates: string[]): string {
  for (const c of candidates) if (existsSync(c)) return c;
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} is not installed: run \`make deps\` (or apt-get install ${name})`);
  }
}

function postgresBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'postgres'))) return join(root, v, 'bin');
  throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: run `make deps`');
}

interface SpawnSpec {
  readonly command: string;
  readonly args: string[];
  readonly readyPattern: RegExp;
  readonly uid?: number;
  readonly gid?: number;
  readonly timeoutMs?: number;
  /** Added to this process's environment (which wins where both set a name). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts a process and resolves once its output matches `readyPattern`. */
async function spawnUntilReady(spec: SpawnSpec): Promise<ChildProcess> {
  const child = spawn(spec.command, spec.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(spec.env ? { env: { ...spec.env, ...process.env } } : {}),
    ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.command} did not start within ${spec.timeoutMs ?? 20000} ms:\n${output}`));
    }, spec.timeoutMs ?? 20000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (spec.readyPattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.command} exited with ${code} before it was ready:\n${output}`));
    });
  });
  // Keep draining output so the child never blocks on a full pipe.
  child.stdout?.removeAllListeners('data').resume();
  child.stderr?.removeAllListeners('data').resume();
  child.removeAllListeners('exit');
  return child;
}

/** Ends a child process: `signal` (SIGTERM), then SIGKILL if it is still there after `graceMs`. */
export async function stopChild(
  child: ChildProcess | undefined,
  { signal = 'SIGTERM', graceMs = 10000 }: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

function managedServer(url: string, port: number, dataDir: string, start: () => Promise<ChildProcess>, first: ChildProcess): RunningServer {
  let child: ChildProcess | undefined = first;
  return {
    url,
    port,
    dataDir,
    async stop(options) {
      await stopChild(child);
      child = undefined;
      if (!options?.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
    async kill(signal = 'SIGTERM') {
      await stopChild(child, { signal });
      child = undefined;
    },
    async restart() {
      await stopChild(child);
      child = await start();
    },
  };
}

/** What `make dev` gives a fresh NATS: the provisioned streams (one replica, a day of events). */
export const TEST_STREAM_SETTINGS: StreamSettings = { replicas: 1, maxAgeSeconds: 24 * 3600, maxBytes: -1, duplicateWindowSeconds: 120 };

/** Provisions the streams on a NATS server, as the persister or the provision step would. */
export async function provisionTestStreams(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await provisionStreams(nc, TEST_STREAM_SETTINGS);
  } finally {
    await nc.close();
  }
}

/**
 * Go runtime settings for a nats-server that shares a few cores with the rest of the system
 * (the bench, `make dev`, `make cluster`, docker-compose on one host). One P keeps a message's
 * hand-offs between goroutines on one thread instead of waking another, and GC runs at 5× the
 * live heap instead of 2×. On the 2-core bench box they cut nats-server's CPU per stored and
 * republished message by about a quarter (docs/BENCHMARKS.md, "nats-server's Go runtime").
 * The same names in the environment win.
 */
export const CO_LOCATED_NATS_GO_ENV: Readonly<Record<string, string>> = { GOMAXPROCS: '1', GOGC: '400' };

/**
 * nats-server with JetStream and, unless `provision: false`, NeonChat's streams; `env` adds
 * to its environment (e.g. CO_LOCATED_NATS_GO_ENV; the tests run it with Go's defaults).
 */
export async function startNats(
  options: { port?: number; provision?: boolean; env?: Readonly<Record<string, string>> } = {},
): Promise<RunningServer> {
  const bin = findBinary('nats-server', ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']);
  const port = options.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), 'neonchat-nats-'));
  const start = () =>
    spawnUntilReady({
      command: bin,
      args: ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dataDir, '-n', `neonchat-test-${port}`],
      readyPattern: /Server is ready/,
      ...(options.env ? { env: options.env } : {}),
    });
  const server = managedServer(`nats://127.0.0.1:${port}`, port, dataDir, start, await start());
  if (options.provision !== false) await provisionTestStreams(server.url);
  return server;
}

export async function startRedis(options: { port?: number } = {}): Promise<RunningServer> {
  const bin = findBinary('redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
  const port = options.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), 'neonchat-redis-'));
  const start = () =>
    spawnUntilReady({
      command: bin,
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir],
      readyPattern: /Ready to accept connections/,
    });
  return managedServer(`redis://127.0.0.1:${port}`, port, dataDir, start, await start());
}

/** PostgreSQL refuses to run as root: when we are root, run it as the `postgres` user. */
function unprivilegedIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      // try the next candidate
    }
  }
  throw new Error('running as root and no unprivileged user (postgres/nobody) to run PostgreSQL as');
}

export const TEST_DB_USER = 'neon';

export async function startPostgres(options: { port?: number; durable?: boolean } = {}): Promise<RunningServer> {
  const binDir = postgresBinDir();
  const port = options.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), 'neonchat-pg-'));
  const ids = unprivilegedIds();
  if (ids) chownSync(dataDir, ids.uid, ids.gid);
  // Byte-order collation (C) as before, but a Unicode LC_CTYPE: text search lower-cases words by
  // LC_CTYPE, and under C it folds ASCII only (a search for "привет" would miss "Привет").
  execFileSync(
    join(binDir, 'initdb'),
    ['-D', join(dataDir, 'data'), '-U', TEST_DB_USER, '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C', '--lc-ctype=C.UTF-8'],
    { stdio: 'pipe', ...(ids ?? {}) },
  );
  const start = () =>
    spawnUntilReady({
      command: join(binDir, 'postgres'),
      args: [
        '-D',
        join(dataDir, 'data'),
        '-p',
        String(port),
        '-k',
        dataDir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'max_connections=300',
        // Tests don't test durability and welcome the speed; benchmarks ask for a durable server.
        ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ],
      readyPattern: /database system is ready to accept connections/,
      ...(ids ?? {}),
    });
  const server = managedServer(`postgres://${TEST_DB_USER}@127.0.0.1:${port}/postgres`, port, dataDir, start, await start());
  return server;
}
