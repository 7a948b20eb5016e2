import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { SUBJECTS, type PresenceQueryReply } from '@neonchat/common';
import { seedUser, testEnvironment, waitFor } from '@neonchat/common/testing';
import { presenceKeys, type PresenceService } from '../src/mod.js';
import { PresenceHarness } from './support/presence-harness.js';

/** A users row, so last_seen_at has somewhere to go. */
async function createUser(db: pg.Pool): Promise<string> {
  const id = randomUUID();
  return seedUser(db, { id, username: `presence_${id.slice(0, 18)}` });
}

async function lastSeenAt(db: pg.Pool, userId: string): Promise<number | undefined> {
  const { rows } = await db.query<{ t: Date | null }>('select last_seen_at as t from users where id = $1', [userId]);
  return rows[0]?.t?.getTime();
}

async function commandCalls(presence: PresenceService): Promise<Map<string, number>> {
  const info = await presence.redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  return calls;
}

describe('presence @integration', function () {
  this.timeout(30000);
  let h: PresenceHarness;
  let db: pg.Pool;

  before(async () => {
    h = await PresenceHarness.start();
    db = new pg.Pool({ connectionString: testEnvironment().databaseUrl, max: 2 });
  });

  after(async () => {
    await h?.stop();
    await db?.end();
  });

  describe('one replica', () => {
    let presence: PresenceService;
    before(async () => {
      presence = await h.presence();
    });

    it('keeps a user online while any of their devices is connected, and records last_seen when the last goes', async () => {
      const user = await createUser(db);
      const gw = h.gateway();
      const phone = gw.connect(user, 'phone');
      await h.expectEvents(user, ['user_online']);
      const laptop = gw.connect(user, 'laptop');
      await waitFor(async () => (await presence.redis.scard(presenceKeys.connections(user))) === 2, { what: 'two connections' });

      const status = await presence.store.status(user);
      expect(status).to.include({ user_id: user, status: 'online', device_id: 'phone' });
      expect(await presence.redis.ttl(presenceKeys.online(user))).to.be.within(1, 2);
      expect(await presence.redis.smembers(presenceKeys.connections(user))).to.have.members([phone, laptop]);

      gw.disconnect(phone);
      await waitFor(async () => (await presence.redis.scard(presenceKeys.connections(user))) === 1, { what: 'one connection left' });
      const closedAt = Date.now();
      gw.disconnect(laptop);
      await h.expectEvents(user, ['user_online', 'user_offline']);
      const offline = h.events.find((e) => e.user_id === user && e.event === 'user_offline')!;
      expect(offline.status).to.equal('offline');
      expect(offline.last_seen).to.be.within(closedAt - 1000, closedAt + 1000);
      expect(await presence.store.status(user)).to.equal(undefined);
      await waitFor(async () => (await lastSeenAt(db, user)) === offline.last_seen, { what: 'last_seen_at in PostgreSQL' });
    });

    it('takes a dead gateway’s users offline after the TTL, and only those', async () => {
      const [lonely, roaming] = [randomUUID(), randomUUID()];
      const doomed = h.gateway();
      const healthy = h.gateway();
      doomed.connect(lonely);
      doomed.connect(roaming);
      healthy.connect(roaming);
      await h.expectEvents(lonely, ['user_online']);
      await h.expectEvents(roaming, ['user_online']);

      // Heartbeats carry both gateways past several TTLs (2 s) without a false offline.
      const stopDoomed = doomed.keepAlive(300);
      const stopHealthy = healthy.keepAlive(300);
      const startedAt = Date.now();
      await waitFor(() => Date.now() - startedAt > 4500, { timeoutMs: 6000, what: 'two TTLs of heartbeats' });
      expect(h.eventsOf(lonely)).to.deep.equal(['user_online']);
      expect(await presence.store.status(lonely)).to.include({ status: 'online' });

      // The doomed gateway dies without a word: no disconnects, no more heartbeats.
      await stopDoomed();
      const diedAt = Date.now();
      await h.expectEvents(lonely, ['user_online', 'user_offline'], 5000);
      const wentOffline = Date.now() - diedAt;
      expect(wentOffline, 'offline within about the TTL').to.be.within(1000, 4500);
      const offline = h.events.find((e) => e.user_id === lonely && e.event === 'user_offline')!;
      expect(offline.last_seen, 'last seen at its last heartbeat').to.be.within(diedAt - 1500, diedAt + 100);
      expect(await presence.redis.exists(presenceKeys.online(lonely), presenceKeys.connections(lonely))).to.equal(0);

      // The roaming user still has a connection on the healthy gateway.
      expect(h.eventsOf(roaming)).to.deep.equal(['user_online']);
      expect(await presence.redis.scard(presenceKeys.connections(roaming))).to.equal(1);
      await stopHealthy();
    });

    it('makes no noise when a user reconnects within the grace period', async () => {
      const flapper = randomUUID();
      const witness = randomUUID();
      const gw = h.gateway();
      const first = gw.connect(flapper);
      await h.expectEvents(flapper, ['user_online']);
      gw.disconnect(first);
      await waitFor(async () => (await presence.redis.zscore(presenceKeys.pendingOffline, flapper)) !== null, { what: 'offline pending' });
      gw.connect(flapper);
      // A witness that leaves after the flap: once its offline is out, the flapper's would be too.
      const w = gw.connect(witness);
      await h.expectEvents(witness, ['user_online']);
      gw.disconnect(w);
      await h.expectEvents(witness, ['user_online', 'user_offline']);
      expect(h.eventsOf(flapper)).to.deep.equal(['user_online']);
      expect(await presence.store.status(flapper)).to.include({ status: 'online' });
    });

    it('announces away and back, once each, and answers queries with it', async () => {
      const user = randomUUID();
      const gw = h.gateway();
      const conn = gw.connect(user);
      await h.expectEvents(user, ['user_online']);
      gw.setStatus(conn, 'away');
      await h.expectEvents(user, ['user_online', 'user_away']);
      expect(await presence.store.status(user)).to.include({ status: 'away' });
      const reply = (await h.nc.request(SUBJECTS.presenceQuery, JSON.stringify({ user_ids: [user] }))).json<PresenceQueryReply>();
      expect(reply.statuses[0]).to.include({ user_id: user, status: 'away' });

      gw.setStatus(conn, 'away');
      gw.setStatus(conn, 'online');
      await h.expectEvents(user, ['user_online', 'user_away', 'user_online']);
      const back = h.events.filter((e) => e.user_id === user).at(-1)!;
      expect(back.status).to.equal('online');
      expect(await presence.store.status(user)).to.include({ status: 'online' });
    });

    it('ignores a connect or heartbeat that arrives after the disconnect, and adopts a connection known only from a heartbeat', async () => {
      const ghost = randomUUID();
      const missed = randomUUID();
      const gw = h.gateway();
      const conn = gw.connect(ghost);
      await h.expectEvents(ghost, ['user_online']);
      gw.disconnect(conn);
      await h.expectEvents(ghost, ['user_online', 'user_offline']);
      // The same connect again, as if it had been overtaken by its disconnect.
      h.nc.publish(SUBJECTS.presenceConnect, JSON.stringify({ gateway_id: gw.id, connection_id: conn, user_id: ghost, at: Date.now() }));

      // A socket whose connect report was lost (presence was down): the heartbeat brings it in.
      // The closed one, in a heartbeat built just before its disconnect, stays closed.
      gw.live.set(`${gw.id}:${randomUUID()}`, missed);
      gw.live.set(conn, ghost);
      expect(await gw.heartbeat()).to.deep.equal({ ok: true, connections: 2 });
      await h.expectEvents(missed, ['user_online']);
      expect(await presence.redis.sismember(presenceKeys.connections(ghost), conn)).to.equal(0);
      expect(h.eventsOf(ghost)).to.deep.equal(['user_online', 'user_offline']);
    });

    it('drops malformed reports and queries without harm', async () => {
      const before = (await presence.metrics.reports.get()).values.find((v) => v.labels.kind === 'invalid')?.value ?? 0;
      h.nc.publish(SUBJECTS.presenceConnect, 'not json');
      h.nc.publish(SUBJECTS.presenceHeartbeat, JSON.stringify({ gateway_id: 'x', connections: [{ user_id: 'nope' }], at: 1 }));
      const reply = (await h.nc.request(SUBJECTS.presenceQuery, JSON.stringify({ user_ids: ['not-a-uuid'] }))).json<PresenceQueryReply>();
      expect(reply.statuses).to.deep.equal([]);
      expect(reply.error?.code).to.equal('validation_failed');
      await waitFor(
        async () => ((await presence.metrics.reports.get()).values.find((v) => v.labels.kind === 'invalid')?.value ?? 0) >= before + 2,
        { what: 'invalid reports counted' },
      );
      expect(presence.isReady()).to.equal(true);
    });

    it('exposes neonchat_presence_* metrics', async () => {
      const text = await presence.registry.metrics();
      for (const name of [
        'neonchat_presence_online_users',
        'neonchat_presence_connections',
        'neonchat_presence_transitions_total{',
        'neonchat_presence_redis_seconds_bucket{',
        'neonchat_presence_heartbeat_seconds_count',
      ]) {
        expect(text).to.include(name);
      }
      const online = Number(/^neonchat_presence_online_users\{[^}]*\} (\d+)/m.exec(text)?.[1]);
      expect(online).to.equal(await presence.redis.scard(presenceKeys.announcedOnline));
    });

    after(async () => {
      await h.closePresence(presence);
    });
  });

  it('answers a query for 10,000 users with one Redis round trip and one PostgreSQL query', async () => {
    // No sweeps during the measurement: only the query may touch Redis.
    const presence = await h.presence({ PRESENCE_SWEEP_INTERVAL_MS: 600000, PRESENCE_TTL_S: 600 });
    const gw = h.gateway();
    const userIds: string[] = Array.from({ length: 10000 }, () => randomUUID());
    for (const u of userIds.slice(0, 4000)) gw.live.set(`${gw.id}:${randomUUID()}`, u);
    await gw.heartbeat();
    const away = userIds[1]!;
    gw.setStatus([...gw.live].find(([, u]) => u === away)![0], 'away');
    await waitFor(async () => (await presence.store.status(away))?.status === 'away', { what: 'away' });
    const seenUser = await createUser(db);
    await db.query(`update users set last_seen_at = to_timestamp(1700000000.123) where id = $1`, [seenUser]);
    userIds[9999] = seenUser;

    const before = await commandCalls(presence);
    const reply = (
      await h.nc.request(SUBJECTS.presenceQuery, JSON.stringify({ user_ids: userIds }), { timeout: 10000 })
    ).json<PresenceQueryReply>();
    const after = await commandCalls(presence);

    expect(reply.error).to.equal(undefined);
    expect(reply.statuses.map((s) => s.user_id)).to.deep.equal(userIds);
    expect(reply.statuses.filter((s) => s.status === 'online')).to.have.length(3999);
    expect(reply.statuses[1]).to.include({ status: 'away' });
    expect(reply.statuses.slice(4000).every((s) => s.status === 'offline')).to.equal(true);
    expect(reply.statuses[9999]).to.deep.equal({ user_id: seenUser, status: 'offline', last_seen: 1700000000123 });
    expect(reply.statuses[5000]!.last_seen).to.equal(null);

    const delta = [...after].filter(([cmd, n]) => n !== (before.get(cmd) ?? 0) && cmd !== 'info');
    expect(delta, 'Redis commands run for the query').to.deep.equal([['mget', (before.get('mget') ?? 0) + 1]]);
    await h.closePresence(presence);
  });

  describe('two replicas', () => {
    let a: PresenceService;
    let b: PresenceService;
    before(async () => {
      // Different queue groups: both replicas receive every report, the worst case for duplicates.
      a = await h.presence({ PRESENCE_QUEUE_GROUP: 'replica-a' });
      b = await h.presence({ PRESENCE_QUEUE_GROUP: 'replica-b' });
    });

    it('announces each transition once although both handle every report', async () => {
      const users = Array.from({ length: 20 }, () => randomUUID());
      const gw = h.gateway();
      const conns = users.flatMap((u) => [gw.connect(u, 'phone'), gw.connect(u, 'laptop')]);
      for (const u of users) await h.expectEvents(u, ['user_online']);
      for (const c of conns) gw.disconnect(c);
      for (const u of users) await h.expectEvents(u, ['user_online', 'user_offline']);
    });

    it('decides concurrent first connections atomically', async () => {
      const user = randomUUID();
      const at = Date.now();
      const results = await Promise.all(
        [a, b, a, b].map((replica, i) =>
          replica.store.applyReports([{ kind: 'connect', user_id: user, connection_id: `gw-${i}:${randomUUID()}`, at }]),
        ),
      );
      expect(results.flat().map((t) => t.event)).to.deep.equal(['user_online']);
    });

    it('still announces a pending offline when the replica that saw the disconnect is gone', async () => {
      const c = await h.presence({ PRESENCE_QUEUE_GROUP: 'replica-c', PRESENCE_OFFLINE_GRACE_MS: 1500 });
      const user = randomUUID();
      const conn = `gw-x:${randomUUID()}`;
      await c.store.applyReports([{ kind: 'connect', user_id: user, connection_id: conn, at: Date.now() }]);
      const [transition] = await c.store.applyReports([{ kind: 'disconnect', user_id: user, connection_id: conn, at: Date.now() }]);
      expect(transition).to.equal(undefined);
      await h.closePresence(c);
      await h.expectEvents(user, ['user_offline'], 5000);
    });
  });
});
