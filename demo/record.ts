/**
 * `make demo`: records the seed's demo scenario (003, "Демо-сценарий для видео") as one video,
 * demo/neonchat-demo.webm. It starts its own stack with scripts/dev.sh (`make dev`) on free
 * ports and a data directory of its own, drives two Chromium windows (Alice, Bob) through the
 * web client while a third page, the terminal panel, shows each step's caption, the commands
 * run against the REST API and the real output of the processes; playwright-core records the
 * three pages and ffmpeg puts them side by side (browsers on top, terminal below).
 *
 * Run by scripts/demo.sh, which installs ffmpeg if missing and checks the result with ffprobe.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { TerminalPanel } from './terminal-panel.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = `${ROOT}demo/.work`;
export const DEMO_VIDEO = `${ROOT}demo/neonchat-demo.webm`;
const BROWSER = { width: 640, height: 480 };
const TERMINAL = { width: 1280, height: 240 };
const PASSWORD = 'demo-password';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** scripts/dev.sh on free ports, its output streamed into the panel. */
class DevStack {
  readonly ports: Record<string, number> = {};
  private proc: ChildProcess | null = null;
  private printing: Promise<void> = Promise.resolve();
  private output = '';

  constructor(private readonly panel: TerminalPanel) {}

  get api(): string {
    return `http://127.0.0.1:${this.ports.API_PORT}`;
  }

  async start(): Promise<void> {
    for (const name of [
      'NATS_PORT',
      'PG_PORT',
      'REDIS_PORT',
      'API_PORT',
      'GATEWAY_PORT',
      'GATEWAY_METRICS_PORT',
      'PERSISTER_METRICS_PORT',
      'PRESENCE_METRICS_PORT',
    ])
      this.ports[name] = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...Object.fromEntries(Object.entries(this.ports).map(([k, v]) => [k, String(v)])),
      DEV_DIR: `${WORK}/stack`,
      DEV_SKIP_DEPS: '1',
      JWT_SECRET: randomBytes(32).toString('hex'),
      WEB_WS_URL: `ws://127.0.0.1:${this.ports.GATEWAY_PORT}/ws`,
      PRESENCE_OFFLINE_GRACE_MS: '1000',
      LOG_LEVEL: 'info',
    };
    await this.panel.print('$ make dev      # here on free ports, data in demo/.work/stack', 'cmd');
    this.proc = spawn('bash', [`${ROOT}scripts/dev.sh`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.proc.stdout!, this.proc.stderr!]) {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const text = partial + chunk.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        this.output += lines.join('\n') + '\n';
        for (const line of lines) if (line.trim()) this.printing = this.printing.then(() => this.panel.print(line, 'log', 3));
      });
    }
    const deadline = Date.now() + 180_000;
    while (!this.output.includes('NeonChat is running')) {
      if (this.proc.exitCode !== null) throw new Error(`scripts/dev.sh exited (${this.proc.exitCode}):\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`the stack did not start in 3 minutes:\n${this.output}`);
      await pause(200);
    }
    await this.printing;
  }

  /** SIGTERM, as Ctrl-C would: dev.sh stops the services in reverse order, each draining first. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill('SIGTERM');
    });
    await this.printing;
  }
}

/** A REST call shown as the curl command that does the same, with its answer. */
async function curl<T = unknown>(
  panel: TerminalPanel,
  stack: DevStack,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  const parts = ['curl -s'];
  if (method !== 'GET') parts.push(`-X ${method}`);
  parts.push(`$API${path}`);
  if (token) parts.push('-H "authorization: Bearer $TOKEN"');
  if (body !== undefined) parts.push(`-d '${JSON.stringify(body)}'`);
  await panel.print(`$ ${parts.join(' ')}`, 'cmd');
  const res = await fetch(`${stack.api}/api/v1${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json()) as T;
  const shown = JSON.stringify(data).replace(/"(eyJ[\w-]{6})[\w.-]+"/g, '"$1…"');
  await panel.print(`${res.status} ${shown}`, 'out', 6);
  return data;
}

async function logIn(page: Page, stack: DevStack, username: string): Promise<void> {
  await page.goto(`${stack.api}/`);
  await page.getByLabel('Username or phone').pressSequentially(username, { delay: 60 });
  await page.getByLabel('Password').pressSequentially(PASSWORD, { delay: 30 });
  await page.keyboard.press('Enter');
  await page.locator('.conn[data-state="online"]').waitFor();
}

async function typeAndSend(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.click();
  await box.pressSequentially(text, { delay: 55 });
  await box.press('Enter');
}

interface Login {
  token: string;
  user: { id: string; username: string };
}

/** The scenario, step by step, as the seed lists it. */
async function scenario(panel: TerminalPanel, stack: DevStack, alice: Page, bob: Page): Promise<void> {
  await panel.caption('1 · Start the system: NATS JetStream, PostgreSQL, Redis, then persister, presence, gateway, api');
  await stack.start();
  await panel.print(`API=${stack.api}/api/v1   WebSocket ws://127.0.0.1:${stack.ports.GATEWAY_PORT}/ws`, 'note');
  await pause(2500);

  await panel.caption('2 · Register two users through the REST API');
  for (const name of ['alice', 'bob']) await curl(panel, stack, 'POST', '/auth/register', { username: name, password: PASSWORD });
  const aliceLogin = await curl<Login>(panel, stack, 'POST', '/auth/login', { username: 'alice', password: PASSWORD });
  const bobLogin = await curl<Login>(panel, stack, 'POST', '/auth/login', { username: 'bob', password: PASSWORD });
  await pause(2500);

  await panel.caption('3 · Create the chat between them (POST /chats: the same chat from either side)');
  const chat = await curl<{ id: string }>(panel, stack, 'POST', '/chats', { partner_id: bobLogin.user.id }, aliceLogin.token);
  await curl(panel, stack, 'POST', '/chats', { partner_id: aliceLogin.user.id }, bobLogin.token);
  await pause(2500);

  await panel.caption('4 · Both connect over WebSocket: the web client (token as subprotocol), and wscat-like here');
  await panel.print(`$ wscat -c "ws://127.0.0.1:${stack.ports.GATEWAY_PORT}/ws?token=$TOKEN&chat_id=${chat.id}"`, 'cmd');
  const ws = new WebSocket(`ws://127.0.0.1:${stack.ports.GATEWAY_PORT}/ws?chat_id=${chat.id}`, ['neonchat', `bearer.${aliceLogin.token}`]);
  ws.on('message', (data) => void panel.print(`< ${String(data)}`, 'out', 2));
  await new Promise((r) => ws.once('open', r));
  await Promise.all([logIn(alice, stack, 'alice'), logIn(bob, stack, 'bob')]);
  await pause(1500);

  await panel.caption('5 · Messages in real time: typing, delivered, read (✓✓), a reaction');
  await alice.locator('.chat-item[data-title="bob"]').click();
  await bob.locator('.chat-item[data-title="alice"]').click();
  await typeAndSend(alice, 'Hi Bob! NeonChat runs on NATS JetStream.');
  await bob.locator('.msg .text', { hasText: 'Hi Bob!' }).waitFor();
  await typeAndSend(bob, 'Hi Alice! Got it instantly.');
  await alice.locator('.msg .text', { hasText: 'Got it instantly' }).waitFor();
  const msg = alice.locator('.msg', { hasText: 'Got it instantly' });
  // A redraw racing the first click (the chat's details arriving) can swallow it: try again.
  for (let i = 0; i < 5 && !(await msg.locator('.actions').count()); i++) {
    await msg.getByRole('button', { name: 'Message actions' }).click();
    await pause(700);
  }
  await msg.getByRole('button', { name: 'React 👍' }).click();
  await bob.locator('.reaction[data-emoji="👍"]').waitFor();
  await pause(2000);

  await panel.caption('6 · Online status: Bob closes the client, then comes back');
  await bob.goto('about:blank');
  await alice.locator('.subtitle[data-presence="offline"]').waitFor({ timeout: 30_000 });
  await panel.print('presence: bob -> user_offline (after the 1 s grace period)', 'note');
  await pause(1500);
  await bob.goBack();
  await bob.locator('.conn[data-state="online"]').waitFor();
  await alice.locator('.subtitle[data-presence="online"]').waitFor({ timeout: 30_000 });
  await panel.print('presence: bob -> user_online', 'note');
  await bob.locator('.chat-item[data-title="alice"]').click();
  await pause(2000);

  await panel.caption('7 · History over REST: keyset pages from PostgreSQL, written by the persister');
  await curl(panel, stack, 'GET', `/chats/${chat.id}/messages?limit=20`, undefined, bobLogin.token);
  await curl(panel, stack, 'GET', '/chats?limit=5', undefined, bobLogin.token);
  await pause(3000);

  await panel.caption('8 · Metrics (Prometheus) and logs (pino JSON, above)');
  await panel.print(
    `$ curl -s 127.0.0.1:${stack.ports.GATEWAY_METRICS_PORT}/metrics | grep -E '^neonchat_gateway_(connections|messages)'`,
    'cmd',
  );
  const metrics = await (await fetch(`http://127.0.0.1:${stack.ports.GATEWAY_METRICS_PORT}/metrics`)).text();
  await panel.print(
    metrics
      .split('\n')
      .filter((l) => /^neonchat_gateway_(connections|messages)/.test(l))
      .join('\n') || '(none)',
    'out',
    8,
  );
  await panel.print(`$ curl -s ${stack.api}/readyz`, 'cmd');
  await panel.print(await (await fetch(`${stack.api}/readyz`)).text(), 'out', 3);
  await pause(3000);

  await panel.caption('9 · Graceful shutdown (SIGTERM): not ready, sockets told to reconnect, drain, exit');
  ws.close();
  await panel.print('$ kill -TERM <make dev>     # what Ctrl-C does', 'cmd');
  const stopping = stack.stop();
  await alice.locator('.conn[data-state="reconnecting"]').waitFor({ state: 'attached', timeout: 30_000 });
  await stopping;
  await panel.print('Everything stopped: acked messages are in JetStream and PostgreSQL; the next make dev goes on from there.', 'note');
  await pause(3000);
}

async function record(): Promise<{ terminal: string; alice: string; bob: string }> {
  for (const dir of ['video', 'stack']) await rm(`${WORK}/${dir}`, { recursive: true, force: true });
  await mkdir(`${WORK}/video`, { recursive: true });
  const browser: Browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = (size: { width: number; height: number }): Promise<BrowserContext> =>
    browser.newContext({ viewport: size, deviceScaleFactor: 1, recordVideo: { dir: `${WORK}/video`, size } });
  const contexts = await Promise.all([context(TERMINAL), context(BROWSER), context(BROWSER)]);
  // Created together: the three recordings start within a few milliseconds of each other.
  const [terminalPage, alice, bob] = await Promise.all(contexts.map((c) => c.newPage()));
  const panel = await TerminalPanel.open(terminalPage!);
  for (const [page, who] of [
    [alice!, 'Alice'],
    [bob!, 'Bob'],
  ] as const)
    await page.setContent(
      `<body style="margin:0;display:grid;place-items:center;height:100vh;background:#0d0f1a;color:#8c92b5;font:600 28px system-ui">${who}'s browser</body>`,
    );
  const stack = new DevStack(panel);
  try {
    await scenario(panel, stack, alice!, bob!);
  } finally {
    await stack.stop();
    await Promise.all(contexts.map((c) => c.close()));
    await browser.close();
  }
  return {
    terminal: await terminalPage!.video()!.path(),
    alice: await alice!.video()!.path(),
    bob: await bob!.video()!.path(),
  };
}

/** Browsers side by side on top, the terminal below: one 1280×720 VP8 video. */
function compose(videos: { terminal: string; alice: string; bob: string }): void {
  execFileSync(
    'ffmpeg',
    [
      ...['-y', '-loglevel', 'error', '-i', videos.alice, '-i', videos.bob, '-i', videos.terminal],
      ...['-filter_complex', '[0:v][1:v]hstack=inputs=2[top];[top][2:v]vstack=inputs=2,fps=25[v]', '-map', '[v]'],
      ...['-c:v', 'libvpx', '-b:v', '1500k', '-deadline', 'realtime', '-cpu-used', '8', '-an', DEMO_VIDEO],
    ],
    { stdio: 'inherit' },
  );
}

const videos = await record();
compose(videos);
console.log(`demo: wrote ${DEMO_VIDEO}`);
