import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import { PersisterEnv, connectNats, createLogger, migrate, openOrm } from '@neonchat/common';
import { createDatabase, startNats, startPostgres, testServiceConfig, waitFor, type RunningServer } from '@neonchat/common/testing';
import { createPersister, type Persister } from '@neonchat/persister';
import { consumerState, created, expectedDigest, messageCount, metricValue, publishEvent, seedChats, storedDigest } from './support.js';

describe('persister with PostgreSQL down @integration', function () {
  this.timeout(60000);
  let nats: RunningServer;
  let postgres: RunningServer;
  let nc: NatsConnection;
  let persister: Persister | undefined;

  before(async () => {
    [nats, postgres] = await Promise.all([startNats(), startPostgres()]);
    nc = await connectNats({ url: nats.url, name: 'outage-test', logger: createLogger('test', 'silent') });
  });
  after(async () => {
    await persister?.close();
    await nc.close();
    await Promise.all([nats.stop(), postgres.stop()]);
  });

  it('acks nothing while PostgreSQL is stopped for 10 s, then writes everything once', async () => {
    const databaseUrl = await createDatabase(postgres.url);
    const orm = await openOrm({ databaseUrl, poolMax: 1 });
    await migrate(orm).finally(() => orm.close(true));
    const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    db.on('error', () => undefined); // its idle connections die with the server, on purpose
    const { userId, chatIds } = await seedChats(db, 10);
    await db.end();

    persister = await createPersister(
      testServiceConfig(PersisterEnv, {
        NATS_URL: nats.url,
        DATABASE_URL: databaseUrl,
        PERSISTER_BATCH_SIZE: 50,
        PERSISTER_RETRY_BASE_MS: 100,
        PERSISTER_RETRY_MAX_MS: 1000,
        // Longer than the outage would redeliver anyway; shorter shows held events aren't lost.
        PERSISTER_ACK_WAIT_S: 5,
      }),
    );
    await persister.start();

    // A steady flow of messages for the whole test, outage included.
    const sent: Array<{ id: string; seq: number; text: string }> = [];
    let publishing = true;
    const publisher = (async () => {
      let i = 0;
      while (publishing) {
        const event = created(chatIds[i % chatIds.length]!, userId, `m${i} ${randomUUID()}`);
        const seq = await publishEvent(nc, event);
        sent.push({ id: event.id, seq, text: event.text });
        i += 1;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const check = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    check.on('error', () => undefined);
    try {
      await waitFor(async () => (await messageCount(check, chatIds)) >= 100, { what: 'first messages written' });
      await check.end();
      // A fast shutdown (SIGINT): sessions are cut at once. Not SIGKILL: the test server runs
      // with synchronous_commit=off, and would itself forget its last commits.
      await postgres.kill('SIGINT');
      const downAt = Date.now();
      await waitFor(() => !persister!.isReady(), { what: 'readiness false while PostgreSQL is down' });
      const down = await consumerState(nc);
      const ackedWhenDown = sent.length - down.pending - down.ackPending;
      await new Promise((r) => setTimeout(r, Math.max(0, 10000 - (Date.now() - downAt))));
      // Nothing was acked while the database was away: the ack floor did not move.
      const during = await consumerState(nc);
      expect(sent.length - during.pending - during.ackPending).to.be.at.most(ackedWhenDown);
      expect(await metricValue(persister.registry, 'neonchat_persister_batch_failures_total', 'kind="unavailable"')).to.be.greaterThan(0);
      await postgres.restart();
      await waitFor(() => persister!.isReady(), { timeoutMs: 15000, what: 'ready again' });
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      publishing = false;
      await publisher;
    }

    const after = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      await waitFor(async () => (await messageCount(after, chatIds)) === sent.length, {
        timeoutMs: 20000,
        what: 'every message written',
      }).catch(async (err) => {
        console.log('DEBUG', sent.length, await messageCount(after, chatIds), JSON.stringify(await consumerState(nc)));
        throw err;
      });
      expect(await storedDigest(after, chatIds)).to.deep.equal({ count: sent.length, digest: expectedDigest(sent) });
      await waitFor(async () => {
        const state = await consumerState(nc);
        return state.pending === 0 && state.ackPending === 0;
      });
      expect(await metricValue(persister.registry, 'neonchat_persister_dead_letters_total')).to.equal(0);
      expect(await metricValue(persister.registry, 'neonchat_persister_redeliveries_total')).to.be.greaterThan(0);
    } finally {
      await after.end();
    }
  });
});
