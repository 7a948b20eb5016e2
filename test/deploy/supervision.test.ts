import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { alive, portOpen, ROOT, sleep, startDevStack, until, within, type DevStack } from './support/dev-stack.js';

const run = promisify(execFile);

/**
 * `make dev` as a supervisor: a service that dies is started again and the servers stay up;
 * one instance restarts by name; and two TERMs in a row to make's process group (make passes
 * its own on, as it does for a terminal's signal) still stop everything, ports freed.
 */
describe('make dev: restarts what exits, stops once however many TERMs @integration @cluster', function () {
  this.timeout(300_000);
  let stack: DevStack | undefined;

  before(async () => {
    stack = await startDevStack();
  });

  after(async () => {
    await stack?.stop();
  });

  it('starts a killed gateway again, keeps the servers up, and logs to DEV_DIR/log', async () => {
    const s = stack!;
    const before = s.pids();
    process.kill(before['gateway']!, 'SIGKILL');
    const restarted = await until('the gateway started again', 30_000, () => {
      const pid = s.pids()['gateway'];
      return pid && pid !== before['gateway'] && alive(pid) ? pid : undefined;
    });
    await until('the gateway listens again', 30_000, () => portOpen(s.ports.GATEWAY_PORT).then((open) => open || undefined));
    expect(alive(restarted)).to.equal(true);
    for (const server of ['nats', 'postgres', 'redis', 'api', 'persister', 'presence']) {
      expect(s.pids()[server], `${server} kept its pid`).to.equal(before[server]);
      expect(alive(before[server]!), `${server} is up`).to.equal(true);
    }
    expect(s.output()).to.match(/gateway exited .*starting it again in 1 s/);
    const runs = () =>
      readFileSync(join(s.dir, 'log', 'gateway.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"msg":"gateway running'));
    await until('both runs in the log', 30_000, () => runs().length === 2 || undefined);
    expect(readFileSync(join(s.dir, 'log', 'postgres.log'), 'utf8')).not.to.include('does not exist');
  });

  it('restarts one instance by name (scripts/instance.sh, make dev-restart)', async () => {
    const s = stack!;
    const old = s.pidOf('api');
    const { stdout } = await run('make', ['--no-print-directory', 'dev-restart', 'NAME=api'], {
      cwd: ROOT,
      env: { ...process.env, STACK_DIR: s.dir },
    });
    expect(stdout).to.match(/api is running again \(pid \d+\)/);
    const now = s.pidOf('api');
    expect(now).not.to.equal(old);
    expect(alive(old)).to.equal(false);
    expect(alive(now)).to.equal(true);
  });

  it('stops everything on two TERMs in a row to the process group, ports freed', async () => {
    const s = stack!;
    const pids = Object.values(s.pids());
    expect(pids.length).to.equal(7);
    // The group's TERM reaches make and the script (make passes its own on), then a burst at
    // the script itself while it is stopping.
    const script = Number(readFileSync(join(s.dir, 'ready'), 'utf8').trim());
    process.kill(-s.child.pid!, 'SIGTERM');
    for (const pause of [0, 1, 2, 5, 10, 20, 50, 150]) {
      await sleep(pause);
      if (alive(script)) process.kill(script, 'SIGTERM');
    }
    await within(s.exited, 60_000);
    expect(
      pids.filter((pid) => alive(pid)),
      'processes left running',
    ).to.deep.equal([]);
    const open: number[] = [];
    for (const port of Object.values(s.ports)) if (await portOpen(port)) open.push(port);
    expect(open, 'ports still held').to.deep.equal([]);
    expect(s.output()).to.include('[dev] stopped');
    expect(existsSync(join(s.dir, 'ready'))).to.equal(false);
  });
});
