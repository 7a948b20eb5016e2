import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestSocket } from '@neonchat/common/testing';
import { GATEWAY_NODE_FLAGS } from '@neonchat/gateway/node-flags';
import type { Figure, Scenario, ScenarioContext, ScenarioResult } from '../scenario.js';
import { startServiceStack, type ServiceStack } from '../load/service-stack.js';
import { BenchFixtures, type BenchUser } from '../load/bench-fixtures.js';
import { noisePng, randomFile } from '../load/attachment-files.js';
import { below, errorSummary, figure } from '../load/figures.js';
import { percentile } from './history-load.js';

/** Where the api keeps the files in one part of the run. */
interface StoreSetup {
  readonly label: string;
  readonly apiEnv: Record<string, string>;
  close(): Promise<void>;
}

interface Settings {
  readonly uploads: number;
  readonly concurrency: number;
  readonly fileBytes: number;
  readonly imageEvery: number;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly pollMs: number;
}

interface Failures {
  count: number;
  readonly byWhat: Record<string, number>;
}

function fail(failures: Failures, what: string): void {
  failures.count += 1;
  failures.byWhat[what] = (failures.byWhat[what] ?? 0) + 1;
}

/** Runs `work` over `items` with at most `concurrency` at once (closed loop). */
async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async (_, worker) => {
      for (let i = next++; i < items.length; i = next++) await work(items[i]!, worker);
    }),
  );
}

async function localStore(): Promise<StoreSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'neonchat-bench-uploads-'));
  return { label: 'local disk', apiEnv: { UPLOAD_DIR: dir }, close: () => rm(dir, { recursive: true, force: true }) };
}

/** s3rver's constructor, loaded only when the S3 part runs (a dev dependency of the repository). */
type S3rverCtor = new (options: Record<string, unknown>) => { run(): Promise<{ port: number }>; close(): Promise<void> };

/** An S3-protocol server in this process (s3rver); undefined with the reason when it cannot be loaded. */
async function s3rverStore(): Promise<StoreSetup | string> {
  let S3rver: S3rverCtor;
  try {
    const name = 's3rver';
    S3rver = ((await import(name)) as { default: S3rverCtor }).default;
  } catch (err) {
    return `S3 part skipped: s3rver cannot be loaded (${(err as Error).message})`;
  }
  const dir = await mkdtemp(join(tmpdir(), 'neonchat-bench-s3rver-'));
  const bucket = 'neonchat-bench';
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    label: 'S3 (s3rver)',
    apiEnv: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function json<T>(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

interface Uploaded {
  readonly id: string;
  readonly owner: number;
  readonly bytes: number;
}

interface UploadPhase {
  readonly seconds: number;
  readonly bytes: number;
  readonly done: Uploaded[];
  readonly latenciesMs: number[];
  readonly thumbnailMs: number[];
}

/**
 * Ask, PUT, complete, `uploads` times over `concurrency` users at once; for each image, the
 * time from its completion's answer until its thumbnail is served (polled every `pollMs`).
 */
async function uploadPhase(apiUrl: string, users: BenchUser[], settings: Settings, failures: Failures): Promise<UploadPhase> {
  const origin = new URL(apiUrl).origin;
  const file = randomFile(settings.fileBytes);
  const image = noisePng(settings.imageWidth, settings.imageHeight);
  const done: Uploaded[] = [];
  const latenciesMs: number[] = [];
  const thumbnailMs: number[] = [];
  const thumbnails: Array<Promise<void>> = [];
  let bytes = 0;
  const started = performance.now();
  await pool(
    Array.from({ length: settings.uploads }, (_, i) => i),
    settings.concurrency,
    async (i, worker) => {
      const user = users[worker]!;
      const isImage = settings.imageEvery > 0 && i % settings.imageEvery === 0;
      const body = isImage ? image : file;
      const t0 = performance.now();
      const ticket = await json<{ upload_id: string; upload_url: string; headers: Record<string, string> }>(
        'POST',
        `${apiUrl}/uploads`,
        user.token,
        {
          name: isImage ? `photo-${i}.png` : `file-${i}.bin`,
          size: body.length,
          content_type: isImage ? 'image/png' : 'application/octet-stream',
        },
      );
      if (ticket.status !== 201) return fail(failures, `ask ${ticket.status}`);
      const put = await fetch(new URL(ticket.body.upload_url, origin), { method: 'PUT', headers: ticket.body.headers, body });
      await put.arrayBuffer();
      if (put.status !== 200) return fail(failures, `put ${put.status}`);
      const completed = await json('POST', `${apiUrl}/uploads/${ticket.body.upload_id}/complete`, user.token, {});
      if (completed.status !== 200) return fail(failures, `complete ${completed.status}`);
      const answered = performance.now();
      latenciesMs.push(answered - t0);
      bytes += body.length;
      done.push({ id: ticket.body.upload_id, owner: worker, bytes: body.length });
      if (isImage)
        thumbnails.push(waitForThumbnail(apiUrl, user.token, ticket.body.upload_id, answered, settings.pollMs, thumbnailMs, failures));
    },
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(thumbnails);
  return { seconds, bytes, done, latenciesMs, thumbnailMs };
}

async function waitForThumbnail(
  apiUrl: string,
  token: string,
  id: string,
  from: number,
  pollMs: number,
  into: number[],
  failures: Failures,
): Promise<void> {
  const deadline = from + 60_000;
  while (performance.now() < deadline) {
    const res = await fetch(`${apiUrl}/attachments/${id}/thumbnail`, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status === 200) {
      into.push(performance.now() - from);
      return;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  fail(failures, 'thumbnail not ready within 60 s');
}

/**
 * Each sender alternates a plain message and one with an attachment (its own uploads, one
 * each), closed loop: send → `message_sent`. Both kinds go through the same sockets at once.
 */
async function sendPhase(
  gatewayUrl: string,
  senders: BenchUser[],
  chats: string[],
  uploads: Uploaded[],
  failures: Failures,
): Promise<{ plainMs: number[]; attachedMs: number[] }> {
  const plainMs: number[] = [];
  const attachedMs: number[] = [];
  const sockets = await Promise.all(senders.map((u) => TestSocket.open(`${gatewayUrl}?token=${u.token}`)));
  try {
    await Promise.all(sockets.map((ws) => ws.next((f) => f.type === 'ready')));
    await Promise.all(
      senders.map(async (_, s) => {
        const ws = sockets[s]!;
        const own = uploads.filter((u) => u.owner === s);
        for (const [n, upload] of own.entries()) {
          for (const attach of [false, true]) {
            const requestId = `${attach ? 'a' : 'p'}-${s}-${n}`;
            const answer = ws.waitNew((f) => f.request_id === requestId && (f.type === 'message_sent' || f.type === 'error'), 30_000);
            const t0 = performance.now();
            ws.send({
              type: 'message',
              chat_id: chats[s],
              text: attach ? '' : `plain ${n}`,
              request_id: requestId,
              ...(attach ? { attachments: [upload.id] } : {}),
            });
            const frame = await answer.catch(() => undefined);
            if (frame?.type !== 'message_sent') {
              fail(failures, `send ${frame ? String(frame.code) : 'timeout'}`);
              continue;
            }
            (attach ? attachedMs : plainMs).push(performance.now() - t0);
          }
        }
      }),
    );
  } finally {
    await Promise.all(sockets.map((ws) => ws.close()));
  }
  return { plainMs, attachedMs };
}

/** Each upload fetched by the sender's partner (a member of the chat): the ticket, then the bytes. */
async function downloadPhase(
  apiUrl: string,
  partners: BenchUser[],
  uploads: Uploaded[],
  concurrency: number,
  failures: Failures,
): Promise<{ seconds: number; bytes: number; latenciesMs: number[] }> {
  const origin = new URL(apiUrl).origin;
  const latenciesMs: number[] = [];
  let bytes = 0;
  const started = performance.now();
  await pool(uploads, concurrency, async (upload) => {
    const t0 = performance.now();
    const ticket = await json<{ url: string }>('GET', `${apiUrl}/attachments/${upload.id}`, partners[upload.owner]!.token);
    if (ticket.status !== 200) return fail(failures, `download ticket ${ticket.status}`);
    const res = await fetch(new URL(ticket.body.url, origin));
    const body = await res.arrayBuffer();
    if (res.status !== 200 || body.byteLength !== upload.bytes) return fail(failures, `download ${res.status}`);
    latenciesMs.push(performance.now() - t0);
    bytes += body.byteLength;
  });
  return { seconds: (performance.now() - started) / 1000, bytes, latenciesMs };
}

const MIB = 1024 * 1024;

function p(latencies: number[], q: number): number {
  return percentile(
    [...latencies].sort((a, b) => a - b),
    q,
  );
}

async function waitPersisted(fixtures: BenchFixtures, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await fixtures.persistedCount()) < count) {
    if (Date.now() > deadline) throw new Error(`the persister wrote fewer than ${count} messages in 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One store: a fresh database and stack, then uploads, sends and downloads in that order. */
async function runStore(
  ctx: ScenarioContext,
  store: StoreSetup,
  settings: Settings,
): Promise<{ figures: Figure[]; processes: NonNullable<ScenarioResult['processes']>; notes: string[] }> {
  const databaseUrl = await ctx.env.freshDatabase();
  const stack: ServiceStack = await startServiceStack(ctx.env, {
    gateways: 1,
    databaseUrl,
    presence: false,
    // A closed loop per socket sends faster than a person: the per-socket limit out of the way.
    gatewayEnv: { GATEWAY_RATE_PER_SECOND: '100000', GATEWAY_RATE_BURST: '100000' },
    gatewayNodeArgs: GATEWAY_NODE_FLAGS,
    apiEnv: { ...store.apiEnv, UPLOAD_QUOTA_BYTES_PER_DAY: String(2 ** 50), UPLOAD_SWEEP_INTERVAL_S: '0' },
  });
  const fixtures = BenchFixtures.open(databaseUrl, ctx.env.jwtSecret);
  const failures: Failures = { count: 0, byWhat: {} };
  const label = store.label;
  try {
    const users = await fixtures.createUsers(settings.concurrency * 2, 'att');
    const senders = users.slice(0, settings.concurrency);
    const partners = users.slice(settings.concurrency);
    const chats = await fixtures.createDirectChats(senders.map((s, i): [BenchUser, BenchUser] => [s, partners[i]!]));
    const cpuBefore = stack.processes.map((proc) => proc.cpuSeconds());

    ctx.log(`${label}: ${settings.uploads} uploads, ${settings.concurrency} at once`);
    const up = await uploadPhase(stack.apiUrl, senders, settings, failures);
    ctx.log(`${label}: sends (plain and with one attachment) over ${senders.length} sockets`);
    const sends = await sendPhase(stack.gatewayUrls[0]!, senders, chats, up.done, failures);
    await waitPersisted(fixtures, sends.plainMs.length + sends.attachedMs.length);
    ctx.log(`${label}: downloads`);
    // Every upload was attached by one send (a refused one shows as a refused download too).
    const down = await downloadPhase(stack.apiUrl, partners, up.done, settings.concurrency, failures);

    const plainP99 = p(sends.plainMs, 99);
    const attachedP99 = p(sends.attachedMs, 99);
    const figures = [
      figure(`${label}: uploads per second (ask + PUT + complete)`, up.done.length / up.seconds, 'uploads/s'),
      figure(`${label}: upload throughput`, up.bytes / MIB / up.seconds, 'MiB/s'),
      figure(`${label}: upload p50`, p(up.latenciesMs, 50), 'ms'),
      figure(`${label}: upload p99`, p(up.latenciesMs, 99), 'ms'),
      figure(`${label}: thumbnail ready after completion p50`, p(up.thumbnailMs, 50), 'ms'),
      figure(`${label}: thumbnail ready after completion p99`, p(up.thumbnailMs, 99), 'ms'),
      figure(`${label}: send ack p50, plain`, p(sends.plainMs, 50), 'ms'),
      figure(`${label}: send ack p99, plain`, plainP99, 'ms'),
      figure(`${label}: send ack p50, one attachment`, p(sends.attachedMs, 50), 'ms'),
      figure(`${label}: send ack p99, one attachment`, attachedP99, 'ms'),
      figure(`${label}: send ack p99, attachment ÷ plain`, attachedP99 / plainP99, '×'),
      figure(`${label}: downloads per second (ticket + GET)`, down.latenciesMs.length / down.seconds, 'downloads/s'),
      figure(`${label}: download throughput`, down.bytes / MIB / down.seconds, 'MiB/s'),
      figure(`${label}: download p99`, p(down.latenciesMs, 99), 'ms'),
      figure(`${label}: errors`, failures.count, 'errors', below(1, '0')),
    ];
    const processes = stack.processes.map((proc, i) => ({
      name: `${label}: ${proc.name}`,
      cpuSeconds: Math.round((proc.cpuSeconds() - cpuBefore[i]!) * 10) / 10,
      peakRssMiB: Math.round(proc.peakRssMiB()),
    }));
    return {
      figures,
      processes,
      notes: [
        `${label}: ${up.done.length} uploads (${(up.bytes / MIB).toFixed(1)} MiB), ${up.thumbnailMs.length} thumbnails, ${sends.plainMs.length} plain and ${sends.attachedMs.length} attachment sends, ${down.latenciesMs.length} downloads; errors: ${errorSummary(failures.byWhat)}`,
      ],
    };
  } finally {
    await fixtures.close();
    await stack.stop();
  }
}

export const attachmentsScenario: Scenario = {
  name: 'attachments',
  description:
    'Attachments (issue 29): uploads through the local store and S3 (s3rver in the bench process), thumbnail time, send ack with an attachment vs a plain one in the same run, downloads.',
  async run(ctx): Promise<ScenarioResult> {
    const settings: Settings = {
      uploads: Number(ctx.params.uploads ?? (ctx.quick ? 120 : 1000)),
      concurrency: Number(ctx.params.concurrency ?? 4),
      fileBytes: Number(ctx.params.file_kib ?? 256) * 1024,
      imageEvery: Number(ctx.params.image_every ?? 4),
      imageWidth: Number(ctx.params.image_width ?? 800),
      imageHeight: Number(ctx.params.image_height ?? 600),
      pollMs: Number(ctx.params.thumbnail_poll_ms ?? 20),
    };
    const wanted = (ctx.params.stores ?? 'local,s3').split(',');
    const figures: Figure[] = [];
    const processes: NonNullable<ScenarioResult['processes']> = [];
    const notes: string[] = [];
    for (const kind of wanted) {
      const store = kind === 's3' ? await s3rverStore() : await localStore();
      if (typeof store === 'string') {
        notes.push(store);
        continue;
      }
      try {
        const part = await runStore(ctx, store, settings);
        figures.push(...part.figures);
        processes.push(...part.processes);
        notes.push(...part.notes);
      } finally {
        await store.close();
      }
    }
    return {
      scenario: 'attachments',
      description: attachmentsScenario.description,
      parameters: {
        quick: ctx.quick,
        stores: wanted.join(','),
        uploads: settings.uploads,
        concurrency: settings.concurrency,
        file_kib: settings.fileBytes / 1024,
        image_every: settings.imageEvery,
        image_px: `${settings.imageWidth}x${settings.imageHeight}`,
        thumbnail_poll_ms: settings.pollMs,
      },
      figures,
      processes,
      notes: [
        ...notes,
        'Closed loop: `concurrency` users at once, each its own socket and chat. Thumbnail time is from the completion answer until GET /attachments/{id}/thumbnail answers 200, polled every thumbnail_poll_ms (so ± that). The S3 store is s3rver in the bench process (its CPU is the bench’s, and it is no AWS): its figures compare the two paths on this box, nothing more.',
      ],
    };
  },
};
