import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { Counter, Registry } from 'prom-client';
import { clusterReady, createLogger, createShutdown, RestartPolicy } from '@neonchat/common/runtime';
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
    const worker = joinCluster({ registry, isReady: () => ready, shutdown, channel: channel as unknown as NodeJS.Process });
    try {
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
    } finally {
      worker.stop();
    }
  });
});
