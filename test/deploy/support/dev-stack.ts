/**
 * A `make dev` run by a test, as a person runs it: `make` in a process group of its own (so a
 * signal to the group reaches make and the script, as a terminal's does), its data in a
 * temporary directory (DEV_DIR), every port a free ephemeral one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const DEV_PORT_VARS = [
  'NATS_PORT',
  'PG_PORT',
  'REDIS_PORT',
  'API_PORT',
  'GATEWAY_PORT',
  'GATEWAY_METRICS_PORT',
  'PERSISTER_METRICS_PORT',
  'PRESENCE_METRICS_PORT',
] as const;

export type DevPorts = Record<(typeof DEV_PORT_VARS)[number], number>;

/** Ports the kernel hands out now (listened on and closed: free at the time of asking). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((res, rej) => {
          const s = createServer();
          s.once('error', rej);
          s.listen(0, '127.0.0.1', () => res(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((res) => s.close(res))));
  return ports;
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      res(true);
    });
    socket.once('error', () => res(false));
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** The promise's value, or undefined after ms (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((res) => {
    timer = setTimeout(() => res(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

export interface DevStack {
  readonly dir: string;
  readonly ports: DevPorts;
  readonly child: ChildProcess;
  /** The pids of every instance, from the script's pid files. */
  pids(): Record<string, number>;
  pidOf(name: string): number;
  output(): string;
  exited: Promise<number | null>;
  /** SIGINT to the group, then removes the data. */
  stop(): Promise<void>;
}

export async function startDevStack(options: { servicesOnly?: boolean; env?: Record<string, string> } = {}): Promise<DevStack> {
  const dir = mkdtempSync(join(tmpdir(), 'neonchat-dev-'));
  const list = await freePorts(DEV_PORT_VARS.length);
  const ports = Object.fromEntries(DEV_PORT_VARS.map((v, i) => [v, list[i]!])) as DevPorts;
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    DEV_DIR: dir,
    DEV_SKIP_DEPS: '1',
    JWT_SECRET: undefined,
    DATABASE_URL: undefined,
    NATS_URL: undefined,
    REDIS_URL: undefined,
    OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
    // The test run's own settings (global fixture) are not make dev's.
    LOG_LEVEL: 'info',
    NODE_ENV: undefined,
    ...options.env,
  };
  const child = spawn('make', ['--no-print-directory', 'dev'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const pidsDir = join(dir, 'pids');
  const pids = (): Record<string, number> =>
    existsSync(pidsDir)
      ? Object.fromEntries(readdirSync(pidsDir).map((n) => [n, Number(readFileSync(join(pidsDir, n), 'utf8').trim())]))
      : {};
  await until('make dev is up', 180_000, () => {
    if (gone) throw new Error(`make dev exited before it was up:\n${out.slice(-3000)}`);
    return existsSync(join(dir, 'ready')) || undefined;
  });
  return {
    dir,
    ports,
    child,
    pids,
    pidOf: (name) => {
      const pid = pids()[name];
      if (!pid) throw new Error(`no pid file for ${name}`);
      return pid;
    },
    output: () => out,
    exited,
    async stop() {
      const all = Object.values(pids());
      if (!gone) process.kill(-child.pid!, 'SIGINT');
      await within(exited, 90_000);
      for (const pid of all) if (alive(pid)) process.kill(pid, 'SIGKILL');
      if (!gone) process.kill(-child.pid!, 'SIGKILL');
      child.stdout!.destroy();
      child.stderr!.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
