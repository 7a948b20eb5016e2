import { expect } from 'chai';
import { createShutdown, createLogger } from '@neonchat/common';

const logger = createLogger('test', 'silent');

describe('createShutdown', () => {
  it('runs steps in order, once, even when one fails', async () => {
    const calls: string[] = [];
    const shutdown = createShutdown(logger, 5000, () => calls.push('exit'));
    shutdown.add('a', () => void calls.push('a'));
    shutdown.add('b', async () => {
      calls.push('b');
      throw new Error('boom');
    });
    shutdown.add('c', () => void calls.push('c'));
    const exitCode = process.exitCode;
    await Promise.all([shutdown.run('test'), shutdown.run('again')]);
    process.exitCode = exitCode;
    expect(calls).to.deep.equal(['a', 'b', 'c']);
    expect(shutdown.started).to.equal(true);
  });

  it('exits when a step outlives the deadline', async () => {
    let exited: number | undefined;
    const shutdown = createShutdown(logger, 100, (code) => (exited = code));
    let release: () => void = () => undefined;
    shutdown.add('hang', () => new Promise<void>((resolve) => (release = resolve)));
    const running = shutdown.run('test');
    await new Promise((r) => setTimeout(r, 200));
    expect(exited).to.equal(1);
    release();
    await running;
  });
});

describe('createShutdown: signals', () => {
  const added: Array<{ signal: NodeJS.Signals; listener: NodeJS.SignalsListener }> = [];

  /** Installs the handlers, remembering them so that the test run's own stay untouched. */
  function install(shutdown: ReturnType<typeof createShutdown>): void {
    const before = new Map((['SIGTERM', 'SIGINT'] as const).map((s) => [s, new Set(process.listeners(s))]));
    shutdown.installSignalHandlers();
    for (const [signal, had] of before) {
      for (const listener of process.listeners(signal)) if (!had.has(listener)) added.push({ signal, listener });
    }
  }

  afterEach(() => {
    for (const { signal, listener } of added.splice(0)) process.removeListener(signal, listener);
  });

  it('drains on the first signal even when the shutdown was already started otherwise, and exits on the second', async () => {
    const exits: number[] = [];
    const shutdown = createShutdown(logger, 5000, (code) => exits.push(code));
    let release: () => void = () => undefined;
    shutdown.add('drain', () => new Promise<void>((resolve) => (release = resolve)));
    install(shutdown);
    const running = shutdown.run('asked by the primary');
    process.emit('SIGTERM', 'SIGTERM');
    expect(exits, 'one signal during a drain started otherwise').to.deep.equal([]);
    process.emit('SIGINT', 'SIGINT');
    expect(exits, 'a second signal').to.deep.equal([1]);
    release();
    await running;
  });
});
