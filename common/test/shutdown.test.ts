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
