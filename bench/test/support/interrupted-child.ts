/**
 * A stand-in for `bench/dist/main.js` in interrupt-teardown.test.ts: listens as main does,
 * starts a "server" that takes 300 ms to stop on SIGTERM, adds its stop, and prints the
 * server's pid once it is up.
 */
import { spawn } from 'node:child_process';
import { interruptTeardown } from '../../src/load/interrupt-teardown.js';

const SERVER =
  "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300)); setInterval(() => {}, 1000); process.stdout.write('up')";

interruptTeardown.listen();
const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'ignore'] });
interruptTeardown.add(
  'server',
  () =>
    new Promise<void>((resolve) => {
      server.once('exit', () => resolve());
      server.kill('SIGTERM');
    }),
);
server.stdout.once('data', () => process.stdout.write(`${server.pid}\n`));
setInterval(() => {}, 1000);
