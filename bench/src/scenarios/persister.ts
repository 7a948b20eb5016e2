import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  CONSUMERS,
  STREAMS,
  SUBJECTS,
  connectNats,
  createLogger,
  provisionStreams,
  uuidv7,
  type MessageCreatedEvent,
} from '@neonchat/common';
import { freePort, procStat } from '../bench-environment.js';
import { waitFor } from '@neonchat/common/testing';
import type { Figure, Scenario, ScenarioResult } from '../scenario.js';

const TARGET_PER_S = 20_000;

/**
 * Stream → table: N `message.created` events over a few thousand chats are first published
 * into a fresh CHAT_EVENTS stream, then the persister is started as its own process against a
 * fresh, durable database and drains them. Sustained rate = events written between 10 % and
 * 90 % of the total, over the time that took (start-up and the tail left out). Lag is the
 * consumer's num_pending + num_ack_pending, sampled once a second.
 *
 * Parameters: persister_messages, persister_chats, persister_batch, persister_concurrency,
 * persister_pool, persister_cpu_prof=1 (writes a .cpuprofile to bench/out/prof),
 * persister_search_index=off (the messages' full-text index dropped first; the `search`
 * scenario compares both).
 */
export const persisterScenario: Scenario = {
  name: 'persister',
  description:
    'Stream → PostgreSQL: N message.created events published into a fresh stream, then drained by one persister process into a durable PostgreSQL; sustained messages/s written and lag over time.',
  async run(ctx): Promise<ScenarioResult> {
    const total = Number(ctx.params.persister_messages ?? (ctx.quick ? 200_000 : 1_000_000));
    const chatCount = Number(ctx.params.persister_chats ?? 3000);
    const batchSize = ctx.params.persister_batch ?? '2000';
    const concurrency = ctx.params.persister_concurrency ?? '3';
    const poolMax = ctx.params.persister_pool ?? '6';
    const profile = ctx.params.persister_cpu_prof === '1';
    const nodeOptions = ctx.params.persister_node_options ?? '';
    const logger = createLogger('bench', 'warn');

    const nc = await connectNats({ url: ctx.env.natsUrl, name: 'bench-persister', logger });
    const jsm = await jetstreamManager(nc);
    await freshStream(nc, jsm);
    const databaseUrl = await ctx.env.freshDatabase();
    // `off`: without the messages' full-text index, for the write path's cost of search (issue 30).
    const searchIndex = ctx.params.persister_search_index ?? 'on';
    if (searchIndex !== 'on' && searchIndex !== 'off') throw new Error(`persister_search_index: on or off, not ${searchIndex}`);
    if (searchIndex === 'off') await dropSearchIndex(databaseUrl);
    const chats = await seedChats(databaseUrl, chatCount);
    ctx.log(`${chatCount} chats in a fresh database; publishing ${total} events`);

    const published = await publishEvents(nc, chats, total);
    ctx.log(`published ${total} in ${published.seconds.toFixed(1)} s (${Math.round(total / published.seconds)}/s)`);

    const port = await freePort();
    const profileDir = resolve('bench/out/prof');
    if (profile) mkdirSync(profileDir, { recursive: true });
    const spawnedAt = Date.now();
    const serviceEnv = {
      NATS_URL: ctx.env.natsUrl,
      DATABASE_URL: databaseUrl,
      PERSISTER_METRICS_PORT: String(port),
      PERSISTER_BATCH_SIZE: batchSize,
      PERSISTER_WRITE_CONCURRENCY: concurrency,
      DATABASE_POOL_MAX: poolMax,
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    };
    const persister = profile
      ? await spawnProfiled(serviceEnv, port, profileDir)
      : await ctx.env.spawnService('persister', serviceEnv, port);
    const cpu0 = persister.cpuSeconds();
    const timeline: Array<Record<string, number>> = [];
    const progress: Array<{ ms: number; written: number }> = [];
    let peakLag = 0;
    let cpuSeconds = 0;
    let peakRss = 0;
    let lastCpu = cpu0;
    let lastMs = Date.now();
    let lastWritten = 0;
    const deadline = Date.now() + Math.max(120_000, (total / 2000) * 1000);
    try {
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        const info = await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
        const lag = info.num_pending + info.num_ack_pending;
        const written = total - lag;
        const now = Date.now();
        const cpu = persister.cpuSeconds();
        peakLag = Math.max(peakLag, lag);
        progress.push({ ms: now, written });
        timeline.push({
          t: Math.round((now - spawnedAt) / 1000),
          persisted_per_s: Math.round(((written - lastWritten) * 1000) / (now - lastMs)),
          lag,
          persister_cpu_pct: Math.round(((cpu - lastCpu) * 100_000) / (now - lastMs)),
          persister_rss_mib: Math.round(persister.rssMiB()),
        });
        lastCpu = cpu;
        lastMs = now;
        lastWritten = written;
        if (lag === 0) break;
        if (now > deadline) throw new Error(`persister still ${lag} behind after ${Math.round((now - spawnedAt) / 1000)} s`);
      }
    } finally {
      cpuSeconds = persister.cpuSeconds() - cpu0;
      peakRss = persister.peakRssMiB();
      await persister.stop();
      await nc.close();
    }
    const drainSeconds = (progress.at(-1)!.ms - spawnedAt) / 1000;
    const stored = await countMessages(databaseUrl);
    const sustained = sustainedRate(progress, total);
    ctx.log(`sustained ${Math.round(sustained)}/s; drained in ${drainSeconds.toFixed(1)} s; ${stored} rows`);

    const figures: Figure[] = [
      {
        name: 'sustained written (10 %→90 %)',
        value: Math.round(sustained),
        unit: 'msg/s',
        target: '≥ 20,000 msg/s (ours)',
        met: sustained >= TARGET_PER_S,
      },
      { name: 'average written (start → drained)', value: Math.round(total / drainSeconds), unit: 'msg/s' },
      { name: 'rows in PostgreSQL', value: stored, unit: 'rows', target: `= ${total}`, met: stored === total },
      { name: 'peak lag', value: peakLag, unit: 'events' },
      { name: 'publish rate (before the persister started)', value: Math.round(total / published.seconds), unit: 'msg/s' },
      { name: 'persister CPU per 1,000 messages', value: Number(((cpuSeconds * 1000) / total).toFixed(3)), unit: 'CPU s' },
    ];
    return {
      scenario: 'persister',
      description: persisterScenario.description,
      parameters: {
        messages: total,
        chats: chatCount,
        batch: batchSize,
        concurrency,
        pool: poolMax,
        node_options: nodeOptions || 'none',
        search_index: searchIndex,
        postgres: 'durable (fsync on)',
      },
      figures,
      timeline,
      plot: [
        { title: 'Written', unit: 'msg/s', series: ['persisted_per_s'] },
        { title: 'Lag', unit: 'events', series: ['lag'] },
        { title: 'Persister CPU', unit: '% of a core', series: ['persister_cpu_pct'] },
      ],
      processes: [
        {
          name: 'persister',
          cpuSeconds: Number(cpuSeconds.toFixed(1)),
          cpuPercent: (cpuSeconds * 100) / drainSeconds,
          peakRssMiB: Math.round(peakRss),
        },
      ],
      notes: [
        `command: node bench/dist/main.js --only persister${ctx.quick ? '' : ' --full'} (parameters via --set persister_batch=…, persister_concurrency=…)`,
        'NATS, PostgreSQL and the persister share the 2 cores; the publisher is idle while the persister drains.',
        ...(profile ? [`CPU profile written to ${join(profileDir)}`] : []),
      ],
    };
  },
};

/**
 * `node --cpu-prof` can't come through NODE_OPTIONS, so a profiled persister is started here
 * rather than by the environment; the profile is written when it exits on SIGTERM.
 */
async function spawnProfiled(env: Record<string, string>, port: number, dir: string) {
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, resolve('persister/dist/main.js')], {
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const pid = child.pid ?? 0;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, procStat(pid).rssMiB)), 500);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok, {
    timeoutMs: 30000,
    what: 'persister ready',
  });
  return {
    cpuSeconds: () => procStat(pid).cpuSeconds,
    rssMiB: () => procStat(pid).rssMiB,
    peakRssMiB: () => Math.max(peak, procStat(pid).rssMiB),
    async stop() {
      clearInterval(sampler);
      if (child.exitCode !== null) return;
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    },
  };
}

/** A stream with only this scenario's events in it, and no consumer left from before. */
async function freshStream(nc: Parameters<typeof provisionStreams>[0], jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.delete(STREAMS.chatEvents);
  } catch (err) {
    if (!/stream not found/i.test(String(err))) throw err;
  }
  await provisionStreams(nc, { replicas: 1, maxAgeSeconds: 24 * 3600, maxBytes: -1, duplicateWindowSeconds: 120 });
}

async function seedChats(databaseUrl: string, count: number): Promise<Array<{ id: string; members: string[] }>> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const users = Array.from({ length: count * 2 }, () => randomUUID());
    await db.query(
      `insert into users (id, username, password_hash) select id, 'b' || replace(id::text, '-', ''), 'x' from unnest($1::uuid[]) as id`,
      [users],
    );
    const chats = Array.from({ length: count }, (_, i) => ({ id: randomUUID(), members: [users[2 * i]!, users[2 * i + 1]!] }));
    await db.query(
      `insert into chats (id, type, user1_id, user2_id, created_by)
       select id, 'direct', u1, u2, u1 from unnest($1::uuid[], $2::uuid[], $3::uuid[]) as t(id, u1, u2)`,
      [chats.map((c) => c.id), chats.map((c) => c.members[0]), chats.map((c) => c.members[1])],
    );
    return chats;
  } finally {
    await db.end();
  }
}

/** Publishes `total` events with many in flight, the way a busy gateway does. */
async function publishEvents(nc: Parameters<typeof jetstream>[0], chats: ReadonlyArray<{ id: string; members: string[] }>, total: number) {
  const js = jetstream(nc);
  const started = Date.now();
  let next = 0;
  const filler = 'lorem ipsum dolor sit amet '.repeat(3);
  async function lane(): Promise<void> {
    while (next < total) {
      const i = next++;
      // Skewed: a tenth of the chats get half the traffic, as busy chats do.
      const chat = i % 2 ? chats[i % Math.max(1, Math.floor(chats.length / 10))]! : chats[i % chats.length]!;
      const event: MessageCreatedEvent = {
        type: 'message.created',
        id: uuidv7(),
        chat_id: chat.id,
        sender_id: chat.members[i % 2]!,
        text: `${i} ${filler}`,
        created_at: new Date().toISOString(),
      };
      await js.publish(SUBJECTS.chatEvents(chat.id), JSON.stringify(event));
    }
  }
  await Promise.all(Array.from({ length: 1000 }, lane));
  return { seconds: (Date.now() - started) / 1000 };
}

async function dropSearchIndex(databaseUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('drop index messages_search_idx');
  } finally {
    await db.end();
  }
}

async function countMessages(databaseUrl: string): Promise<number> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ n: string }>('select count(*)::text as n from messages');
    return Number(rows[0]!.n);
  } finally {
    await db.end();
  }
}

/** Events/s written between the samples that crossed 10 % and 90 % of the total. */
function sustainedRate(progress: ReadonlyArray<{ ms: number; written: number }>, total: number): number {
  const from = progress.find((p) => p.written >= total * 0.1);
  const to = progress.find((p) => p.written >= total * 0.9);
  if (!from || !to || to.ms === from.ms) return progress.length ? progress.at(-1)!.written / Math.max(1, progress.length) : 0;
  return (to.written - from.written) / ((to.ms - from.ms) / 1000);
}
