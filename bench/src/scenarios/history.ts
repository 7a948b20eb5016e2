import { openOrm } from '@neonchat/common';
import { startReaderApi } from '../load/reader-api.js';
import type { Figure, Scenario, ScenarioResult } from '../scenario.js';
import { closedLoop, fixedRate, percentile, type LoadResult } from './history-load.js';

interface Seeded {
  readonly readerId: string;
  readonly readerName: string;
  /** Chats to read, the large ones first, and (chat, message) pairs to page back from. */
  readonly chats: string[];
  readonly cursors: Array<{ chat: string; id: string }>;
  readonly seconds: number;
}

/**
 * Seeds `messages` messages over `chats` group chats in SQL (`generate_series`, so a million
 * rows take seconds): three large chats share 60 % of them, the rest spread evenly. Every
 * chat has the same reader as a member. Ids are ordered uuids built from a counter, like
 * uuidv7's time ordering.
 */
async function seed(databaseUrl: string, messages: number, chats: number): Promise<Seeded> {
  const started = performance.now();
  const orm = await openOrm({ databaseUrl, poolMax: 2 });
  try {
    const em = orm.em.fork();
    const large = 3;
    const perLarge = Math.floor((messages * 0.6) / large);
    const perSmall = Math.ceil((messages - perLarge * large) / (chats - large));
    await em.execute(
      `insert into users (id, username, password_hash)
       select ('00000000-0000-7000-8000-' || lpad(to_hex(u), 12, '0'))::uuid, 'bench_user_' || u, 'x'
         from generate_series(1, 2) as u`,
    );
    const reader = '00000000-0000-7000-8000-000000000001';
    const writer = '00000000-0000-7000-8000-000000000002';
    await em.execute(
      `insert into chats (id, type, name, created_by)
       select ('00000000-0000-7000-9000-' || lpad(to_hex(c), 12, '0'))::uuid, 'group', 'bench ' || c, ?
         from generate_series(1, ?) as c`,
      [reader, chats],
    );
    await em.execute(
      `insert into chat_members (chat_id, user_id, role)
       select ('00000000-0000-7000-9000-' || lpad(to_hex(c), 12, '0'))::uuid, u.id, case when u.id = ?::uuid then 'admin' else 'member' end
         from generate_series(1, ?) as c cross join (values (?::uuid), (?::uuid)) as u(id)`,
      [reader, chats, reader, writer],
    );
    // Chat c gets n(c) messages with seq 1..n(c); the id encodes (chat, seq) so it is unique and ordered.
    await em.execute(
      `insert into messages (id, chat_id, seq, sender_id, text, created_at)
       select ('00000000-' || lpad(to_hex(c), 4, '0') || '-7000-a' || lpad(to_hex(s / 281474976710656), 3, '0') || '-' || lpad(to_hex(s % 281474976710656), 12, '0'))::uuid,
              ('00000000-0000-7000-9000-' || lpad(to_hex(c), 12, '0'))::uuid,
              s,
              case when s % 2 = 0 then ?::uuid else ?::uuid end,
              'benchmark message number ' || s || ' with a little text to make it look real',
              timestamptz '2026-01-01' + s * interval '1 second'
         from generate_series(1, ?) as c
         cross join lateral generate_series(1, case when c <= ? then ? else ? end) as s`,
      [reader, writer, chats, large, perLarge, perSmall],
    );
    await em.execute(
      `update chats c set last_message_seq = m.seq, last_message_id = m.id
         from (select distinct on (chat_id) chat_id, seq, id from messages order by chat_id, seq desc) m where m.chat_id = c.id`,
    );
    // A store that has lived a while is vacuumed: hint bits set, visibility map and statistics current.
    await em.execute('vacuum analyze');
    const chatRows = await em.execute<Array<{ id: string }>>('select id from chats order by id');
    const cursorRows = await em.execute<Array<{ chat_id: string; id: string }>>(
      'select chat_id, id from messages tablesample system (0.5) limit 20000',
    );
    return {
      readerId: reader,
      readerName: 'bench_user_1',
      chats: chatRows.map((r) => r.id),
      cursors: cursorRows.map((r) => ({ chat: r.chat_id, id: r.id })),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await orm.close(true);
  }
}

function figures(prefix: string, run: LoadResult, p95Target?: { ms: number; label: string }): Figure[] {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  const p95 = percentile(sorted, 95);
  return [
    { name: `${prefix} p50`, value: round(percentile(sorted, 50)), unit: 'ms' },
    {
      name: `${prefix} p95`,
      value: round(p95),
      unit: 'ms',
      ...(p95Target ? { target: p95Target.label, met: p95 < p95Target.ms } : {}),
    },
    { name: `${prefix} p99`, value: round(percentile(sorted, 99)), unit: 'ms' },
    { name: `${prefix} throughput`, value: Math.round(run.requests / run.seconds), unit: 'req/s' },
    { name: `${prefix} errors`, value: run.errors, unit: 'requests', target: '0', met: run.errors === 0 },
  ];
}

const round = (n: number) => Math.round(n * 100) / 100;

export const historyScenario: Scenario = {
  name: 'history',
  description: 'GET /chats/{id}/messages (newest page and before_id pages) over ≥ 1 M stored messages',
  async run({ env, quick, params, log }): Promise<ScenarioResult> {
    const messages = Number(params.messages ?? (quick ? 1_000_000 : 10_000_000));
    const chats = Number(params.chats ?? 1000);
    // 32 readers at 10 M rows is issue 32's target; `--set messages=N` keeps CI-size runs small.
    const workers = Number(params.workers ?? (quick ? 8 : 32));
    const seconds = Number(params.seconds ?? (quick ? 8 : 60));
    const rate = Number(params.rate ?? 100);
    const rateSeconds = Number(params.rate_seconds ?? (quick ? 4 : 30));
    const limit = Number(params.limit ?? 50);

    const databaseUrl = await env.freshDatabase();
    log(`seeding ${messages} messages over ${chats} chats`);
    const seeded = await seed(databaseUrl, messages, chats);
    log(`seeded in ${seeded.seconds.toFixed(1)} s`);

    const reader = await startReaderApi(env, databaseUrl, { id: seeded.readerId, username: seeded.readerName }, params.pool);
    const { api, headers } = reader;
    try {
      const base = `${reader.base}/chats`;
      // Half the requests open a chat (newest page; the three large chats get a third of those),
      // half scroll back from a random message.
      const nextUrl = () => {
        if (Math.random() < 0.5) {
          const chat =
            Math.random() < 0.33
              ? seeded.chats[Math.floor(Math.random() * 3)]!
              : seeded.chats[Math.floor(Math.random() * seeded.chats.length)]!;
          return `${base}/${chat}/messages?limit=${limit}`;
        }
        const cursor = seeded.cursors[Math.floor(Math.random() * seeded.cursors.length)]!;
        return `${base}/${cursor.chat}/messages?limit=${limit}&before_id=${cursor.id}`;
      };
      log('warming up');
      await closedLoop(nextUrl, headers, workers, 1);
      log(`closed loop: ${workers} workers for ${seconds} s`);
      const cpuBefore = api.cpuSeconds();
      const closed = await closedLoop(nextUrl, headers, workers, seconds);
      const cpuClosed = api.cpuSeconds() - cpuBefore;
      log('one client, one request at a time: latency without queueing');
      const single = await closedLoop(nextUrl, headers, 1, Math.max(2, Math.round(seconds / 2)));
      log(`fixed rate: ${rate} req/s for ${rateSeconds} s`);
      const open = await fixedRate(nextUrl, headers, rate, rateSeconds);
      const notes = [
        `seeded ${messages.toLocaleString('en')} messages over ${chats} chats (3 chats hold 60 %) in ${seeded.seconds.toFixed(1)} s`,
        `closed loop: ${workers} concurrent keep-alive clients in the bench process, limit=${limit}, half newest pages, half before_id pages`,
        `api used ${cpuClosed.toFixed(1)} CPU s during the ${closed.seconds.toFixed(0)} s closed loop (2-core machine shared with the load generator and PostgreSQL)`,
      ];
      if (closed.errors || open.errors) notes.push(`failures: ${JSON.stringify({ ...closed.failures, ...open.failures })}`);
      return {
        scenario: 'history',
        description: this.description,
        parameters: { messages, chats, workers, seconds, rate, rate_seconds: rateSeconds, limit },
        figures: [
          ...figures('history (1 client)', single, { ms: 5, label: '< 5 ms (ours)' }),
          ...figures(`history (${workers} clients)`, closed, { ms: 10, label: '< 10 ms with 32 readers at 10 M rows (ours)' }),
          ...figures(`history at ${rate} req/s`, open, { ms: 100, label: '< 100 ms (seed)' }),
        ],
        processes: [{ name: 'api', cpuSeconds: round(api.cpuSeconds()), peakRssMiB: round(api.peakRssMiB()) }],
        notes,
      };
    } finally {
      await api.stop();
    }
  },
};
