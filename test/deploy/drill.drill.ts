import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { STREAMS } from '@neonchat/common/contracts';
import { startCluster, http, registerAndLogin, type Cluster } from './support/cluster.js';
import { LoadClient, sleep } from './support/load-client.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

function stackEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(dir, 'stack.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/\\(.)/g, '$1');
  }
  return env;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/**
 * The disaster drill (`make drill`): a `make cluster` under load through HAProxy loses
 * PostgreSQL's data directory; it is restored from the last pgBackRest backup and the archived
 * WAL (scripts/restore.sh), the persister replays the rest from JetStream, and every acked
 * message is in PostgreSQL again. Then one NATS node loses its JetStream store and catches up
 * from the other two. Prints RPO and RTO of both.
 */
describe('disaster drill: PostgreSQL data and a NATS node store lost under load @integration @cluster @drill', function () {
  this.timeout(600_000);
  let cluster: Cluster | undefined;
  const clients: LoadClient[] = [];
  let loading = true;
  let load: Promise<void> | undefined;

  before(async () => {
    cluster = await startCluster({
      base: 24500,
      name: 'drill',
      env: { RATE_LIMIT_PER_MINUTE: '100000', PERSISTER_ACK_WAIT_S: '5', ARCHIVE_TIMEOUT_S: '10' },
    });
  });

  after(async () => {
    loading = false;
    await load;
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  it('restores PostgreSQL and a NATS node with no acked message lost, and prints RPO and RTO', async () => {
    const c = cluster!;
    const env = stackEnv(c.dir);
    const runId = `${process.pid}${Date.now().toString(36)}`;
    const chatIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await registerAndLogin(c.apiUrl, `da_${runId}_${i}`);
      const b = await registerAndLogin(c.apiUrl, `db_${runId}_${i}`);
      const chat = await http<{ id: string }>('POST', `${c.apiUrl}/chats`, { partner_id: b.id }, a.token);
      expect(chat.status).to.equal(201);
      chatIds.push(chat.body.id);
      clients.push(new LoadClient(c.wsUrl, a.token, chat.body.id, `d${i}`));
    }
    await Promise.all(clients.map((cl) => cl.connect()));
    // 6 clients × 5 messages/s until the end of the drill.
    load = (async () => {
      while (loading) {
        for (const cl of clients) cl.tick();
        await sleep(200);
      }
    })();

    // The backup the cluster makes at start (the daily loop), with the chats in it: a fresh one.
    const db = new pg.Client({ connectionString: c.databaseUrl });
    await db.connect();
    const before = Number((await db.query<{ n: string }>('select count(*) n from neonchat_ops.backups')).rows[0]!.n);
    await run(join(ROOT, 'scripts/backup.sh'), { env: { ...process.env, STACK_DIR: c.dir } });
    const after = Number((await db.query<{ n: string }>('select count(*) n from neonchat_ops.backups')).rows[0]!.n);
    expect(after).to.equal(before + 1);
    await db.end();
    // More load after the backup: recovered from the archived WAL, and from the stream.
    await sleep(15_000);

    // --- PostgreSQL: the data directory is destroyed ------------------------------------------
    const disasterAt = Date.now();
    const ackedBefore = clients.flatMap((cl) => cl.acked).filter((r) => r.ackedAt! <= disasterAt);
    process.kill(c.pidOf('postgres'), 'SIGKILL');
    rmSync(join(env.PG_DIR!, 'data'), { recursive: true, force: true });
    await sleep(3000); // the load goes on; the supervisor refuses to start an empty database
    const restore = await run(join(ROOT, 'scripts/restore.sh'), { env: { ...process.env, STACK_DIR: c.dir } });
    const replay = JSON.parse(/replay: (\{.*\})/.exec(restore.stdout)![1]!) as { newestInDatabase: string | null; toReplay: number };
    console.log(restore.stdout.replace(/^/gm, '      '));

    const db2 = new pg.Client({ connectionString: c.databaseUrl });
    await db2.connect();
    try {
      const ackedIds = () => clients.flatMap((cl) => cl.acked).map((r) => r.messageId!);
      const missing = async (ids: string[]) =>
        ids.length -
        Number((await db2.query<{ n: string }>('select count(*) n from messages where id = any($1::uuid[])', [ids])).rows[0]!.n);
      await until('every message acked before the disaster stored again', 180_000, async () =>
        (await missing(ackedBefore.map((r) => r.messageId!))) === 0 ? true : undefined,
      );
      const recoveredAt = Date.now();
      const newestRestored = replay.newestInDatabase ? Date.parse(replay.newestInDatabase) : 0;
      const lastAckedBefore = Math.max(...ackedBefore.map((r) => r.ackedAt!));
      const lostByRestoreAlone = ackedBefore.filter((r) => r.ackedAt! > newestRestored + 1000).length;

      // --- NATS: one node's JetStream store is destroyed --------------------------------------
      const natsUrls = [10, 11, 12].map((d) => `nats://127.0.0.1:${24500 + d}`);
      const nc = await connect({ servers: natsUrls });
      const jsm = await jetstreamManager(nc);
      await run(join(ROOT, 'scripts/instance.sh'), ['stop', 'nats-2'], { env: { ...process.env, STACK_DIR: c.dir } });
      const natsLostAt = Date.now();
      rmSync(join(c.dir, 'nats-2'), { recursive: true, force: true });
      await sleep(2000);
      await run(join(ROOT, 'scripts/instance.sh'), ['start', 'nats-2'], { env: { ...process.env, STACK_DIR: c.dir } });
      const caughtUp = await until('nats-2 holds a current replica of the stream again', 180_000, async () => {
        const info = await jsm.streams.info(STREAMS.chatEvents);
        const peer = info.cluster?.replicas?.find((r) => r.name === 'nats-2');
        const leaderIsNats2 = info.cluster?.leader === 'nats-2';
        return leaderIsNats2 || (peer?.current && (peer.lag ?? 0) === 0) ? Date.now() : undefined;
      });
      await nc.close();

      // --- every acked message, before and after both disasters, is stored --------------------
      loading = false;
      await load;
      const drainUntil = Date.now() + 30_000;
      while (clients.some((cl) => cl.unacked.length) && Date.now() < drainUntil) {
        for (const cl of clients) cl.retryStale();
        await sleep(250);
      }
      const acked = ackedIds();
      await until('every acked message stored', 120_000, async () => ((await missing(acked)) === 0 ? true : undefined));
      const dup = await db2.query('select text from messages where chat_id = any($1::uuid[]) group by text having count(*) > 1', [chatIds]);
      const figures = {
        acked: acked.length,
        lost: await missing(acked),
        duplicated: dup.rowCount,
        postgres: {
          rpoRestoreAloneS: Math.max(0, (lastAckedBefore - newestRestored) / 1000).toFixed(1),
          ackedMissingAfterRestoreBeforeReplay: lostByRestoreAlone,
          replayedEvents: replay.toReplay,
          rtoS: ((recoveredAt - disasterAt) / 1000).toFixed(1),
        },
        nats: { rtoNodeCaughtUpS: ((caughtUp - natsLostAt) / 1000).toFixed(1) },
      };
      console.log(`      drill figures: ${JSON.stringify(figures)}`);
      expect(acked.length, 'a load ran').to.be.greaterThan(300);
      expect(figures.lost, 'acked messages missing from PostgreSQL').to.equal(0);
      expect(dup.rows, 'messages stored more than once').to.deep.equal([]);
      expect(ackedBefore.length, 'messages were acked before the disaster').to.be.greaterThan(100);
      expect(recoveredAt - disasterAt, 'RTO of PostgreSQL within 5 minutes').to.be.below(300_000);
    } finally {
      await db2.end();
    }
  });
});
