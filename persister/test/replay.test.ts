import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  CONSUMERS,
  PersisterEnv,
  STREAMS,
  connectNats,
  createLogger,
  provisionStreams,
  streamSettingsOf,
  type MessageCreatedEvent,
} from '@neonchat/common';
import { startNats, testServiceConfig, waitFor, type RunningServer } from '@neonchat/common/testing';
import { createPersister, rewindPersister, type Persister } from '@neonchat/persister';
import { created, freshDatabase, messageCount, publishAll, seedChats } from './support.js';

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/**
 * After a PostgreSQL restore the database lacks events the persister acked long ago:
 * rewindPersister makes the consumer again from `newest message in the database − margin`, and a
 * persister started then writes the lost ones again (and nothing twice).
 */
describe('persister: replay after a PostgreSQL restore @integration', function () {
  this.timeout(60000);
  let nats: RunningServer;
  let nc: NatsConnection;
  let db: pg.Pool;
  let databaseUrl: string;
  let userId: string;
  let chatIds: string[];
  const running: Persister[] = [];

  async function startPersister(): Promise<Persister> {
    const persister = await createPersister(
      testServiceConfig(PersisterEnv, { NATS_URL: nats.url, DATABASE_URL: databaseUrl, PERSISTER_ACK_WAIT_S: 7 }),
    );
    running.push(persister);
    await persister.start();
    return persister;
  }

  beforeEach(async () => {
    nats = await startNats();
    nc = await connectNats({ url: nats.url, name: 'replay-test', logger: createLogger('test', 'silent') });
    await provisionStreams(nc, streamSettingsOf(testServiceConfig(PersisterEnv)));
    databaseUrl = await freshDatabase();
    db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
    ({ userId, chatIds } = await seedChats(db, 10));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.close()));
    await nc.close();
    await db.end();
    await nats.stop();
  });

  const batch = (n: number, label: string): MessageCreatedEvent[] =>
    Array.from({ length: n }, (_, i) => created(chatIds[i % chatIds.length]!, userId, `${label} ${i} ${randomUUID()}`));

  it('replays from the margin before the newest stored message, and the persister writes back what was lost', async () => {
    const persister = await startPersister();
    await publishAll(nc, batch(100, 'old'));
    await sleep(3000); // the old events are well outside the 1 s margin below
    const kept = batch(50, 'kept');
    const lost = batch(50, 'lost');
    await publishAll(nc, [...kept, ...lost]);
    await waitFor(async () => (await messageCount(db, chatIds)) === 200, { what: '200 messages written' });
    await persister.close();
    running.splice(0);

    // The "restore": the database lost the newest 50 messages, which the consumer has acked.
    await db.query('delete from messages where id = any($1::uuid[])', [lost.map((e) => e.id)]);
    const result = await rewindPersister(nc, db, { marginS: 1 });
    expect(result.newestInDatabase).to.equal(new Date(kept.at(-1)!.created_at).toISOString());
    expect(result.toReplay, 'kept and lost are replayed, the old ones are not').to.equal(100);
    expect(result.windowShort).to.equal(false);
    const info = await (await jetstreamManager(nc)).consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
    expect(info.config.deliver_policy).to.equal('by_start_time');
    expect(info.config.ack_wait, "the consumer's settings are kept").to.equal(7 * 1e9);
    expect(info.config.max_deliver).to.equal(-1);

    await startPersister();
    await waitFor(async () => (await messageCount(db, chatIds)) === 200, { what: 'the lost messages written again' });
    const { rows } = await db.query<{ n: string }>('select count(*)::text as n from messages where id = any($1::uuid[])', [
      lost.map((e) => e.id),
    ]);
    expect(Number(rows[0]!.n)).to.equal(50);
    await waitFor(
      async () => (await (await jetstreamManager(nc)).consumers.info(STREAMS.chatEvents, CONSUMERS.persister)).num_pending === 0,
      {
        what: 'the replay consumed',
      },
    );
    expect(await messageCount(db, chatIds), 'nothing written twice').to.equal(200);
  });

  it('replays the whole stream into an empty database, and from a given time when asked', async () => {
    await publishAll(nc, batch(30, 'a'));
    const all = await rewindPersister(nc, db, { marginS: 300 });
    expect(all.newestInDatabase).to.equal(null);
    expect(all.replayFrom).to.equal(null);
    expect(all.toReplay).to.equal(30);
    const later = await rewindPersister(nc, db, { marginS: 300, from: new Date(Date.now() + 60_000) });
    expect(later.toReplay).to.equal(0);
  });
});
