import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { waitFor } from '@neonchat/common/testing';
import { http, startSystem, type RunningSystem } from './support/system.js';

const repoRoot = new URL('..', import.meta.url).pathname;

/** The README's shell blocks tagged `sh <tag>` (```sh tour …```), in order. */
export function tourBlocks(readme: string, tag: string): string[] {
  const blocks: string[] = [];
  const fence = /^```sh (\S+)\n([\s\S]*?)^```$/gm;
  for (const match of readme.matchAll(fence)) if (match[1] === tag) blocks.push(match[2]!);
  return blocks;
}

/** One terminal: a bash reading its commands from a pipe, as a person would type them. */
class Terminal {
  private output = '';
  private readonly shell: ChildProcessWithoutNullStreams;
  private marks = 0;

  constructor(env: NodeJS.ProcessEnv) {
    // Its own process group, so closing the terminal ends what runs in it (wscat) too.
    this.shell = spawn('bash', ['--norc', '--noprofile'], { cwd: repoRoot, env, detached: true });
    this.shell.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.shell.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  get text(): string {
    return this.output;
  }

  /**
   * Types a block; resolves with what it printed once the shell is back at the prompt. A block
   * whose program reads the terminal (wscat) would swallow what is typed next, so with
   * `interactive` the next line is typed only once the shell has no child left, as a person would.
   */
  async run(block: string, { interactive = false, timeoutMs = 30_000 } = {}): Promise<string> {
    const mark = `__block_done_${++this.marks}__`;
    const from = this.output.length;
    if (interactive) {
      this.shell.stdin.write(`${block}\n`);
      await waitFor(() => this.hasChild(), { timeoutMs, what: 'the program to start' });
      await waitFor(async () => !(await this.hasChild()), { timeoutMs, what: 'the program to exit', intervalMs: 100 });
      this.shell.stdin.write(`echo ${mark} $?\n`);
    } else {
      this.shell.stdin.write(`${block}\necho ${mark} $?\n`);
    }
    await waitFor(() => this.output.includes(mark), { timeoutMs, what: `the block to finish: ${block.slice(0, 80)}` });
    return this.output.slice(from, this.output.indexOf(mark));
  }

  private hasChild(): Promise<boolean> {
    return new Promise((resolve) => {
      execFile('ps', ['--ppid', String(this.shell.pid), '-o', 'pid='], (_err, stdout) => resolve(stdout.trim().length > 0));
    });
  }

  /** Types a block that keeps running (a listener). */
  start(block: string): void {
    this.shell.stdin.write(`${block}\n`);
  }

  waitFor(text: string | RegExp, what: string, timeoutMs = 30_000): Promise<boolean> {
    return waitFor(() => (typeof text === 'string' ? this.output.includes(text) : text.test(this.output)), { timeoutMs, what });
  }

  /**
   * Ends the terminal and what runs in it, and waits until they are gone: a program still
   * exiting may write into TMPDIR (Node 22+'s npx keeps its compile cache there), which
   * would race the scratch directory's removal.
   */
  async close(): Promise<void> {
    this.shell.stdin.end();
    const group = this.shell.pid;
    if (group === undefined) return;
    const alive = () => {
      try {
        process.kill(-group, 0);
        return true;
      } catch {
        return false; // the group is gone
      }
    };
    if (!alive()) return;
    process.kill(-group, 'SIGTERM');
    await waitFor(() => !alive(), { timeoutMs: 10_000, intervalMs: 50, what: 'the terminal’s processes to exit' });
  }
}

describe('README "Try it by hand", run as written @integration', function () {
  this.timeout(120_000);
  let system: RunningSystem;
  let scratch: string;
  const terminals: Terminal[] = [];

  before(async () => {
    // The suite's other tests share the rate-limit counters of 127.0.0.1; a person's `make dev` does not.
    system = await startSystem();
    scratch = await mkdtemp(join(tmpdir(), 'neonchat-readme-'));
  });
  after(async () => {
    await Promise.all(terminals.map((t) => t.close()));
    await system?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('registers, connects Bob and Alice with wscat, delivers "hi bob", and shows history and a reaction', async () => {
    const readme = await readFile(new URL('README.md', `file://${repoRoot}`), 'utf8');
    const [setup, history] = tourBlocks(readme, 'tour');
    const [listen] = tourBlocks(readme, 'tour-listen');
    const [send] = tourBlocks(readme, 'tour-send');
    expect(
      [setup, history, listen, send].every((b) => typeof b === 'string' && b.length > 0),
      'the README has the tagged blocks',
    ).to.equal(true);

    // Fresh terminals: only what a person's shell has, plus the ports `make dev` was given.
    const { port: apiPort } = system.api.app.server.address() as AddressInfo;
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: scratch,
      npm_config_cache: process.env.npm_config_cache,
      API_PORT: String(apiPort),
      GATEWAY_PORT: String(system.gateway.port),
    } as NodeJS.ProcessEnv;
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
    const [t2, t3, t4] = [new Terminal(env), new Terminal(env), new Terminal(env)];
    terminals.push(t2, t3, t4);

    const setupOutput = await t2.run(setup!);
    expect(setupOutput).to.match(/"username":"alice"/);
    expect(setupOutput).to.match(/chat: [0-9a-f-]{36}/);
    const chatId = /chat: ([0-9a-f-]{36})/.exec(setupOutput)![1]!;

    t3.start(listen!);
    await t3.waitFor('"type":"ready"', "Bob's ready frame");

    const sendOutput = await t4.run(send!, { interactive: true });
    expect(sendOutput).to.include('"type":"ready"');
    expect(sendOutput).to.match(/"type":"message_sent","request_id":"r-1","status":"delivered"/);
    await t3.waitFor(/"type":"new_message".*"text":"hi bob"/, 'Bob receives hi bob');
    await t3.waitFor(/"event":"user_online"/, 'Bob sees Alice online');

    // A person reads the output before typing on: the persister has written the message by then.
    const bob = /BOB=(\S+)/.exec(await readFile(join(scratch, 'neonchat-tour.env'), 'utf8'))![1]!;
    await waitFor(
      async () =>
        (await http<{ messages: unknown[] }>('GET', `${system.apiUrl}/chats/${chatId}/messages`, undefined, bob)).body.messages.length ===
        1,
      { what: 'the message persisted' },
    );
    const historyOutput = await t2.run(history!);
    expect(historyOutput).to.match(/"text":"hi bob"/);
    expect(historyOutput).to.match(/"op":"add".*"emoji":"👍"/);
    expect(historyOutput).to.match(/"hits":\[\{"message_id":"[0-9a-f-]{36}".*"snippet":"hi <mark>bob<\/mark>"/);
    await t3.waitFor(/"type":"reaction","op":"add"/, "Bob's socket gets the reaction");
  });
});
