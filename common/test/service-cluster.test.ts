import cluster from 'node:cluster';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Counter, Registry } from 'prom-client';
import {
  clusterReady,
  createLogger,
  createShutdown,
  RestartPolicy,
  runServiceCluster,
  type ServiceCluster,
} from '@neonchat/common/runtime';
import { processAlive, waitFor } from '@neonchat/common/testing';
import { joinCluster } from '../src/runtime/cluster-worker.js';

describe('service cluster: restart policy and readiness', () => {
  it('starts a worker that ran a while at once, backs off while it keeps dying early, then gives up', () => {
    const policy = new RestartPolicy({ quickExitMs: 10_000, maxQuickExits: 4, baseMs: 250, maxMs: 1000 });
    expect(policy.delayAfterExit(0, 60_000)).to.equal(0);
    expect([1, 2, 3].map(() => policy.delayAfterExit(0, 500))).to.deep.equal([250, 500, 1000]);
    expect(policy.delayAfterExit(1, 500), 'each worker counts for itself').to.equal(250);
    expect(policy.delayAfterExit(0, 500)).to.equal(undefined);
  });

  it('forgets the early deaths of a worker once it stays up', () => {
    const policy = new RestartPolicy({ quickExitMs: 10_000, maxQuickExits: 3, baseMs: 100, maxMs: 10_000 });
    policy.delayAfterExit(0, 1);
    policy.delayAfterExit(0, 1);
    expect(policy.delayAfterExit(0, 20_000)).to.equal(0);
    expect(policy.delayAfterExit(0, 1)).to.equal(100);
  });

  it('is ready once every worker served, then while every serving worker is, at least one serves, and it is not stopping', () => {
    expect(clusterReady(false, false, [true, undefined]), 'at start, one still starting').to.equal(false);
    expect(clusterReady(false, true, [true, true])).to.equal(true);
    expect(clusterReady(false, true, [true, undefined]), 'one restarting').to.equal(true);
    expect(clusterReady(false, true, [true, false]), 'one cut off from its dependencies').to.equal(false);
    expect(clusterReady(false, true, [undefined, undefined]), 'none serving').to.equal(false);
    expect(clusterReady(false, true, []), 'no workers').to.equal(false);
    expect(clusterReady(true, true, [true, true]), 'stopping').to.equal(false);
  });
});

/** The worker's end of the IPC channel, without a process: what it sends, and a way to talk to it. */
class FakeChannel extends EventEmitter {
  readonly sent: unknown[] = [];
  unrefed = false;
  readonly channel = { unref: () => void (this.unrefed = true) } as unknown as NodeJS.Process['channel'];
  send = (message: unknown): boolean => {
    this.sent.push(message);
    return true;
  };
}

describe('service cluster: the worker side', () => {
  const logger = createLogger('test', 'silent');

  it('reports its readiness, answers metric requests with its registry, and drains when told to', async () => {
    const registry = new Registry();
    new Counter({ name: 'neonchat_test_things_total', help: 'things', registers: [registry] }).inc(3);
    const channel = new FakeChannel();
    const shutdown = createShutdown(logger, 5000, () => undefined);
    const drained: string[] = [];
    shutdown.add('service', () => void drained.push('service'));
    let ready = true;
    joinCluster({ registry, isReady: () => ready, shutdown, channel: channel as unknown as NodeJS.Process });
    expect(channel.unrefed, 'the channel does not keep a drained worker alive').to.equal(true);
    expect(channel.sent).to.deep.equal([{ type: 'neonchat:state', ready: true }]);

    channel.emit('message', { type: 'neonchat:metrics-request', id: 7 });
    channel.emit('message', { type: 'something else', id: 8 });
    channel.emit('message', 'not an object');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const answers = channel.sent.slice(1) as Array<{
      type: string;
      id: number;
      metrics: Array<{ name: string; values: Array<{ value: number }> }>;
    }>;
    expect(answers.map((a) => [a.type, a.id])).to.deep.equal([['neonchat:metrics', 7]]);
    expect(answers[0]!.metrics.find((m) => m.name === 'neonchat_test_things_total')?.values[0]?.value).to.equal(3);

    ready = false;
    channel.emit('message', { type: 'neonchat:shutdown' });
    await shutdown.run('again');
    expect(drained).to.deep.equal(['service']);
  });
});

describe('service cluster: the primary, with real worker processes', function () {
  this.timeout(20_000);
  const logger = createLogger('test', 'silent');
  const fixture = fileURLToPath(new URL('./support/cluster-fixture-worker.mjs', import.meta.url));
  let exitCode: typeof process.exitCode;

  before(() => cluster.setupPrimary({ exec: fixture, silent: true }));
  beforeEach(() => (exitCode = process.exitCode));
  afterEach(() => (process.exitCode = exitCode));

  const start = (workerEnv: (index: number) => Record<string, string | undefined>, policy?: RestartPolicy) =>
    runServiceCluster({
      name: 'fixture',
      workers: 2,
      logger,
      ops: { host: '127.0.0.1', port: 0 },
      shutdownTimeoutMs: 2000,
      workerEnv: (i) => Object.fromEntries(Object.entries(workerEnv(i)).filter((e): e is [string, string] => e[1] !== undefined)),
      signals: false,
      exit: () => expect.fail('the shutdown deadline passed'),
      ...(policy ? { restartPolicy: policy } : {}),
    });
  const get = async (c: ServiceCluster, path: string) => fetch(`http://127.0.0.1:${c.ops.port}${path}`);

  it('is ready once both workers serve, sums their metrics with its own, and drains them on stop', async () => {
    const c = await start((i) => ({ FIXTURE_VALUE: String(10 * (i + 1)) }));
    await waitFor(async () => (await get(c, '/readyz')).status === 200, { what: 'ready' });
    const text = await (await get(c, '/metrics')).text();
    expect(text).to.match(/^fixture_things_total 30$/m);
    expect(text).to.match(/^neonchat_service_workers\{state="ready",service="fixture"\} 2$/m);
    const pids = c.pids();
    expect(pids).to.have.length(2);
    await c.stop();
    expect(process.exitCode ?? 0).to.equal(0);
    for (const pid of pids) expect(processAlive(pid), `worker ${pid} gone`).to.equal(false);
    expect((await get(c, '/healthz').catch(() => undefined))?.status, 'ops server closed').to.equal(undefined);
  });

  it('starts a dead worker again, and keeps its counters in the totals, not its gauges', async () => {
    let forks = 0;
    const c = await start((i) => ({ FIXTURE_VALUE: '1', FIXTURE_CRASH_AFTER_MS: i === 0 && forks++ === 0 ? '2500' : undefined }));
    const scrape = async () => (await get(c, '/metrics')).text();
    await waitFor(async () => (await get(c, '/readyz')).status === 200, { what: 'ready' });
    expect(await scrape()).to.match(/^fixture_things_total 2$/m);
    await waitFor(async () => /^neonchat_service_worker_restarts_total\{service="fixture"\} 1$/m.test(await scrape()), {
      what: 'one restart',
    });
    await waitFor(async () => /^fixture_open 2$/m.test(await scrape()), { what: 'both workers counted again' });
    // The dead worker's 1 stays in the counter (2 alive + 1 retired): the total never falls.
    expect(await scrape()).to.match(/^fixture_things_total 3$/m);
    expect((await get(c, '/readyz')).status).to.equal(200);
    await c.stop();
  });

  it('gives up, stops the others and exits 1 when a worker never stays up', async () => {
    const policy = new RestartPolicy({ quickExitMs: 10_000, maxQuickExits: 3, baseMs: 10, maxMs: 50 });
    const c = await start((i) => (i === 0 ? { FIXTURE_CRASH_AFTER_MS: '50' } : {}), policy);
    const survivor = await (async () => {
      await waitFor(() => c.pids().length === 2, { what: 'both forked' });
      return c.pids()[1]!;
    })();
    await waitFor(() => process.exitCode === 1, { what: 'exit code 1' });
    await waitFor(() => !processAlive(survivor), { what: 'the other worker stopped too' });
    expect(c.isReady()).to.equal(false);
  });

  it('fails the shutdown when a worker does not exit cleanly', async () => {
    const c = await start(() => ({ FIXTURE_EXIT_CODE: '4' }));
    await waitFor(async () => (await get(c, '/readyz')).status === 200, { what: 'ready' });
    await c.stop();
    expect(process.exitCode).to.equal(1);
  });
});
