/**
 * A `make cluster` (scripts/cluster.sh) run by a test: its own port block and data directory,
 * started in `before`, stopped with SIGINT (as Ctrl-C would) in `after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Cluster {
  readonly apiUrl: string;
  readonly wsUrl: string;
  readonly prometheusUrl: string;
  readonly databaseUrl: string;
  readonly dir: string;
  /** The pid of an instance (nats-2, gateway-1, persister-1, ...), from the script's pid files. */
  pidOf(name: string): number;
  /** SIGKILL to one instance: a crash, not a graceful stop. */
  crash(name: string): void;
  /** What the script printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function startCluster(options: { base: number; name: string; env?: Record<string, string> }): Promise<Cluster> {
  const dir = join(ROOT, `.cluster-test-${options.name}`);
  removeDir(dir);
  const env: Record<string, string | undefined> = {
    ...process.env,
    CLUSTER_PORT_BASE: String(options.base),
    CLUSTER_DIR: dir,
    CLUSTER_SKIP_DEPS: '1',
    CLUSTER_SCRAPE_INTERVAL: '1s',
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    JWT_SECRET: undefined,
    // Settings of the test run's own servers (global fixture) are not the cluster's.
    OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
    ...options.env,
  };
  const child = spawn('bash', [join(ROOT, 'scripts/cluster.sh')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await waitForOutput(child, () => out, 'NeonChat cluster is running', 180_000, exited);

  const base = options.base;
  const pidOf = (name: string) => Number(readFileSync(join(dir, 'pids', name), 'utf8').trim());
  return {
    apiUrl: `http://127.0.0.1:${base}/api/v1`,
    wsUrl: `ws://127.0.0.1:${base + 1}/ws`,
    prometheusUrl: `http://127.0.0.1:${base + 42}`,
    databaseUrl: `postgres://neon@127.0.0.1:${base + 40}/neonchat`,
    dir,
    pidOf,
    crash(name) {
      process.kill(pidOf(name), 'SIGKILL');
    },
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((res) => {
        timer = setTimeout(() => res('timeout'), 90_000);
      });
      const code = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`the cluster did not stop within 90 s:\n${out.slice(-2000)}`);
      }
      removeDir(dir);
    },
  };
}

async function waitForOutput(
  child: ChildProcess,
  out: () => string,
  text: string,
  timeoutMs: number,
  exited: Promise<number | null>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  while (!out().includes(text)) {
    if (gone) throw new Error(`scripts/cluster.sh exited before the cluster was up:\n${out().slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGINT');
      throw new Error(`the cluster was not up within ${timeoutMs / 1000} s:\n${out().slice(-3000)}`);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}

function removeDir(dir: string): void {
  try {
    const pgLink = join(dir, 'pg');
    rmSync(resolve(dir, readlinkSafe(pgLink) ?? pgLink), { recursive: true, force: true });
  } catch {
    // nothing there
  }
  rmSync(dir, { recursive: true, force: true });
}

function readlinkSafe(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** JSON over HTTP. */
export async function http<T = Record<string, unknown>>(
  method: string,
  url: string,
  body?: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
}

export async function registerAndLogin(apiUrl: string, name: string): Promise<{ id: string; token: string }> {
  const reg = await http<{ id: string }>('POST', `${apiUrl}/auth/register`, { username: name, password: 'secret-password' });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await http<{ token: string }>('POST', `${apiUrl}/auth/login`, { username: name, password: 'secret-password' });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  return { id: reg.body.id, token: login.body.token };
}
