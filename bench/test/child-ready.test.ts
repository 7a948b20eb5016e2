import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { stopChild } from '@neonchat/common/testing';
import { waitChildReady } from '../src/load/child-ready.js';

const forever = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });

describe('bench: a service child that does not become ready', () => {
  it('is ended when the wait times out, and the error names it', async () => {
    const child = forever();
    let error: unknown;
    try {
      await waitChildReady(child, 'api', async () => false, 300);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.include('api ready');
    expect(child.exitCode !== null || child.signalCode !== null, 'the child is gone').to.equal(true);
  });

  it('reports a child that exits before it is ready, and returns once a ready one is', async () => {
    const quitter = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
    let error: unknown;
    try {
      await waitChildReady(quitter, 'persister', async () => false, 5000);
    } catch (err) {
      error = err;
    }
    expect(String(error)).to.include('persister exited with 3');
    const ready = forever();
    let polls = 0;
    await waitChildReady(ready, 'gateway', async () => ++polls >= 2, 5000);
    expect(ready.exitCode).to.equal(null);
    await stopChild(ready);
    expect(ready.signalCode).to.equal('SIGTERM');
  });

  it('kills a child that ignores SIGTERM once the grace time is over', async () => {
    const stubborn = spawn(
      process.execPath,
      ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); process.stdout.write('up')"],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    await new Promise((resolve) => stubborn.stdout.once('data', resolve));
    await stopChild(stubborn, { graceMs: 200 });
    expect(stubborn.signalCode).to.equal('SIGKILL');
  });
});
