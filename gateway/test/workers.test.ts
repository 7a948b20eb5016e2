import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  childrenOf,
  freePort,
  processAlive,
  stopChild,
  testEnvironment,
  TestSocket,
  TEST_JWT_SECRET,
  waitFor,
} from '@neonchat/common/testing';
import { GatewayHarness, receivedTexts, type TestUser } from './support/gateway-harness.js';
import { GATEWAY_NODE_FLAGS } from '../src/node-flags.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Open sockets of a process (TCP, Unix, listening or not). */
function socketsOf(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

function metric(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(line));
  if (found === undefined) throw new Error(`no ${line} in /metrics`);
  return Number(found.split(' ').pop());
}

const NO_FLAGS_WARNING = 'started without the node options';

/** The gateway's main.js as its launchers run it (`node <GATEWAY_NODE_FLAGS> gateway/dist/main.js`), with the test run's servers. */
function startMain(
  env: Record<string, string>,
  nodeFlags: readonly string[] = GATEWAY_NODE_FLAGS,
): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const servers = testEnvironment();
  const child = spawn(process.execPath, [...nodeFlags, MAIN], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      NATS_URL: servers.natsUrl,
      DATABASE_URL: servers.databaseUrl,
      REDIS_URL: servers.redisUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe('gateway workers: several processes on one port @integration', function () {
  this.timeout(60_000);
  let h: GatewayHarness;
  let main: ReturnType<typeof startMain>;
  let wsUrl: string;
  let opsUrl: string;

  const connect = async (user: TestUser) => {
    const ws = await TestSocket.open(`${wsUrl}?token=${user.token}`);
    await ws.next((f) => f.type === 'ready');
    return ws;
  };
  const metrics = async () => (await fetch(`${opsUrl}/metrics`)).text();

  before(async () => {
    h = await GatewayHarness.start();
    const [port, opsPort] = [await freePort(), await freePort()];
    wsUrl = `ws://127.0.0.1:${port}/ws`;
    opsUrl = `http://127.0.0.1:${opsPort}`;
    main = startMain({ GATEWAY_WORKERS: '2', GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: String(opsPort), GATEWAY_ID: 'gw-test' });
    await waitFor(async () => (await fetch(`${opsUrl}/readyz`).catch(() => undefined))?.status === 200, {
      what: `the gateway's workers ready (output: ${main.output().slice(-2000)})`,
      timeoutMs: 30_000,
    });
  });

  after(async () => {
    const pids = main ? childrenOf(main.child.pid!) : [];
    await stopChild(main?.child, { signal: 'SIGKILL', graceMs: 1000 });
    for (const pid of pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    await h?.close();
  });

  it('spreads sockets over the workers, delivers between them, and sums their metrics', async () => {
    const workers = childrenOf(main.child.pid!);
    expect(workers).to.have.length(2);
    // Ready means every worker listens: the first connections are not all taken by the first one up.
    expect(metric(await metrics(), 'neonchat_service_workers{state="ready"')).to.equal(2);
    const before = workers.map(socketsOf);
    const pairs = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const [a, b] = [await h.user(), await h.user()];
        return { a, b, chatId: await h.chat('direct', [a, b]) };
      }),
    );
    const sockets = await Promise.all(pairs.map(async (p) => ({ ...p, wsA: await connect(p.a), wsB: await connect(p.b) })));
    const gained = workers.map((pid, i) => socketsOf(pid) - before[i]!);
    // 24 connections hashed over two listening sockets: both get some (all on one: 2^-23).
    expect(
      gained.every((n) => n > 0),
      `sockets gained per worker: ${gained.join(', ')}`,
    ).to.equal(true);
    expect(gained.reduce((x, y) => x + y)).to.be.at.least(24);

    for (const [i, s] of sockets.entries()) s.wsA.send({ type: 'message', chat_id: s.chatId, text: `hi ${i}`, request_id: `r${i}` });
    for (const [i, s] of sockets.entries()) {
      await waitFor(() => receivedTexts(s.wsB, s.chatId).includes(`hi ${i}`), { what: `message ${i} delivered` });
    }
    const text = await metrics();
    expect(metric(text, 'neonchat_gateway_connections{')).to.equal(24);
    // Each worker runs with the young generation its parent was started with.
    for (const pid of workers) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv, `worker ${pid}'s command line`).to.include.members([...GATEWAY_NODE_FLAGS]);
    }
    expect(main.output()).to.not.include(NO_FLAGS_WARNING);
    expect(metric(text, 'neonchat_service_workers{state="ready"')).to.equal(2);
    expect(metric(text, 'neonchat_nats_connected{')).to.equal(1);
    await Promise.all(sockets.flatMap((s) => [s.wsA.close(), s.wsB.close()]));
  });

  it('starts a worker that dies again, and serves on', async () => {
    const [victim, survivor] = childrenOf(main.child.pid!);
    process.kill(victim!, 'SIGKILL');
    await waitFor(
      () => {
        const now = childrenOf(main.child.pid!);
        return now.length === 2 && !now.includes(victim!) && now.includes(survivor!);
      },
      { what: 'a new worker in place of the killed one' },
    );
    await waitFor(async () => metric(await metrics(), 'neonchat_service_workers{state="ready"') === 2, { what: 'both workers ready' });
    expect(metric(await metrics(), 'neonchat_service_worker_restarts_total{')).to.equal(1);
    expect(main.output()).to.include('worker died; starting it again');
    const [a, b] = [await h.user(), await h.user()];
    const chatId = await h.chat('direct', [a, b]);
    const [wsA, wsB] = [await connect(a), await connect(b)];
    wsA.send({ type: 'message', chat_id: chatId, text: 'after the restart', request_id: 'r1' });
    await waitFor(() => receivedTexts(wsB, chatId).includes('after the restart'), { what: 'delivered after the restart' });
    await Promise.all([wsA.close(), wsB.close()]);
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const workers = childrenOf(main.child.pid!);
    const a = await h.user();
    const ws = await connect(a);
    main.child.kill('SIGTERM');
    expect(await main.exit).to.equal(0);
    for (const pid of workers) expect(processAlive(pid), `worker ${pid} gone`).to.equal(false);
    // The socket was closed by its worker's drain (going away), not left hanging.
    expect(await ws.waitClosed()).to.equal(1001);
    expect(main.output().match(/"reason":"asked by the primary"/g) ?? []).to.have.length(2);
  });

  it('runs several workers with a GATEWAY_ID at the longest it takes for them', async () => {
    const [port, opsPort] = [await freePort(), await freePort()];
    const long = startMain({
      GATEWAY_WORKERS: '2',
      GATEWAY_PORT: String(port),
      GATEWAY_METRICS_PORT: String(opsPort),
      GATEWAY_ID: 'g'.repeat(96),
    });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.status === 200, {
        what: `both workers ready (output: ${long.output().slice(-1000)})`,
        timeoutMs: 30_000,
      });
    } finally {
      long.child.kill('SIGTERM');
    }
    expect(await long.exit).to.equal(0);
  });

  it('says so when started without its Node options (`node gateway/dist/main.js`), and serves anyway', async () => {
    const [port, opsPort] = [await freePort(), await freePort()];
    const bare = startMain({ GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: String(opsPort), GATEWAY_ID: 'gw-bare' }, []);
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.status === 200, {
        what: `the gateway ready (output: ${bare.output().slice(-1000)})`,
        timeoutMs: 30_000,
      });
      expect(bare.output()).to.include(NO_FLAGS_WARNING).and.include(GATEWAY_NODE_FLAGS.join(' '));
    } finally {
      bare.child.kill('SIGTERM');
    }
    expect(await bare.exit).to.equal(0);
  });

  it('refuses several workers on an ephemeral port, naming the variable', async () => {
    const bad = startMain({ GATEWAY_WORKERS: '2', GATEWAY_PORT: '0', GATEWAY_METRICS_PORT: '0' });
    expect(await bad.exit).to.equal(2);
    expect(bad.output()).to.include('GATEWAY_PORT');
  });
});
