import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processAlive } from '@neonchat/common/testing';
import { InterruptTeardown, type InterruptHost, type InterruptSignal } from '../src/load/interrupt-teardown.js';

const CHILD = fileURLToPath(new URL('./support/interrupted-child.ts', import.meta.url));

/** A process as the tear-down sees it: signals raised by hand, exits and lines recorded. */
function fakeHost() {
  const listeners = new Map<InterruptSignal, () => void>();
  const exits: number[] = [];
  const lines: string[] = [];
  const host: InterruptHost = {
    on: (signal, listener) => listeners.set(signal, listener),
    exit: (code) => void exits.push(code),
    log: (line) => void lines.push(line),
  };
  return { host, listeners, exits, lines };
}

describe('bench: tear-down on SIGINT/SIGTERM', () => {
  it('stops a piece once whoever asks first, and an interrupt after its own stop leaves it alone', async () => {
    const { host } = fakeHost();
    const teardown = new InterruptTeardown(host);
    let runs = 0;
    const stop = teardown.stopOnce('stack', async () => {
      await new Promise((r) => setTimeout(r, 10));
      return ++runs;
    });
    const [first, second] = await Promise.all([stop(), stop()]);
    expect([first, second, runs]).to.deep.equal([1, 1, 1]);
    await teardown.interrupt('SIGINT');
    expect(runs, 'released once stopped').to.equal(1);

    const other = new InterruptTeardown(fakeHost().host);
    let stopped = 0;
    const stopOther = other.stopOnce('session', async () => void (stopped += 1));
    await other.interrupt('SIGTERM');
    await stopOther();
    expect(stopped, 'the interrupt stopped it; its owner asking later gets that stop').to.equal(1);
  });

  it('runs each cleanup once, newest first, then exits with 128 + the signal number', async () => {
    const { host, exits, lines } = fakeHost();
    const teardown = new InterruptTeardown(host);
    const ran: string[] = [];
    teardown.add('environment', () => void ran.push('environment'));
    teardown.add('stack', async () => {
      await new Promise((r) => setTimeout(r, 20));
      ran.push('stack');
    });
    teardown.add('session', () => void ran.push('session'));
    expect(teardown.interrupted).to.equal(false);
    await teardown.interrupt('SIGTERM');
    expect(ran).to.deep.equal(['session', 'stack', 'environment']);
    expect(exits).to.deep.equal([143]);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include('interrupted by SIGTERM');
    expect(teardown.interrupted).to.equal(true);
  });

  it('skips a released cleanup, stops one added during the tear-down, and goes on past one that fails', async () => {
    const { host, exits, lines } = fakeHost();
    const teardown = new InterruptTeardown(host);
    const ran: string[] = [];
    teardown.add('environment', () => void ran.push('environment'));
    const release = teardown.add('finished scenario', () => void ran.push('finished scenario'));
    teardown.add('broken', () => Promise.reject(new Error('pipe closed')));
    teardown.add('session', () => {
      ran.push('session');
      // A stack whose start completes while the session is being stopped.
      teardown.add('late stack', () => void ran.push('late stack'));
    });
    release();
    release();
    await teardown.interrupt('SIGINT');
    expect(ran).to.deep.equal(['session', 'late stack', 'environment']);
    expect(lines.slice(1)).to.deep.equal(['bench: stopping broken failed: Error: pipe closed']);
    expect(exits).to.deep.equal([130]);
  });

  it('exits at once on a second signal, without running the cleanups again', async () => {
    const { host, listeners, exits, lines } = fakeHost();
    const teardown = new InterruptTeardown(host);
    let stops = 0;
    teardown.add('stack', () => {
      stops++;
      return new Promise<void>(() => {});
    });
    teardown.listen();
    expect([...listeners.keys()].sort()).to.deep.equal(['SIGINT', 'SIGTERM']);
    listeners.get('SIGTERM')!();
    await Promise.resolve();
    expect(exits).to.deep.equal([]);
    listeners.get('SIGINT')!();
    expect(exits).to.deep.equal([130]);
    expect(lines[1]).to.include('SIGINT again');
    expect(stops).to.equal(1);
  });

  it('exits when a cleanup hangs past the deadline', async () => {
    const { host, exits, lines } = fakeHost();
    const teardown = new InterruptTeardown(host, 50);
    teardown.add('hung', () => new Promise<void>(() => {}));
    void teardown.interrupt('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));
    expect(exits).to.deep.equal([143]);
    expect(lines[1]).to.include('still running after 50 ms');
  });

  it('a process sent SIGTERM stops the process it started before it exits, with 143', async function () {
    this.timeout(20_000);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const serverPid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before it was up: ${stderr}`)));
    });
    try {
      expect(processAlive(serverPid)).to.equal(true);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).to.equal(143);
      expect(processAlive(serverPid), 'the server it started is gone').to.equal(false);
      expect(stderr).to.include('interrupted by SIGTERM');
    } finally {
      if (processAlive(serverPid)) process.kill(serverPid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });
});
