import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { SUBJECTS, type PresenceChangedEvent } from '@neonchat/common';
import {
  MemoryPresenceStore,
  PresenceAnnouncer,
  PresenceSweeper,
  QueryHandler,
  ReportBatcher,
  ReportHandlers,
  type PresenceReport,
  type PresenceStore,
  type PresenceTransition,
} from '../src/mod.js';
import { FakeMsg, counterValue, histogramCount, silent, testMetrics } from './support/fakes.js';

const SETTINGS = { ttlSeconds: 2, offlineGraceMs: 0, sweepIntervalMs: 100 };

/** A memory store on a manual clock, an announcer that records what it publishes, and the handlers over them. */
function rig(options: { recordOffline?: (e: ReadonlyArray<{ user_id: string; last_seen: number }>) => Promise<void> } = {}) {
  let now = 1_000_000;
  const store = new MemoryPresenceStore(SETTINGS, () => now);
  const { registry, metrics } = testMetrics(store);
  const published: PresenceChangedEvent[] = [];
  const subjects: string[] = [];
  const offlineWrites: Array<Array<{ user_id: string; last_seen: number }>> = [];
  const announcer = new PresenceAnnouncer({
    publish: (subject, data) => {
      subjects.push(subject);
      published.push(JSON.parse(data) as PresenceChangedEvent);
    },
    recordOffline: options.recordOffline ?? (async (entries) => void offlineWrites.push([...entries])),
    metrics,
    logger: silent,
    now: () => now,
  });
  const reports = new ReportBatcher<PresenceReport>(
    100,
    async (batch) => announcer.announce(await store.applyReports(batch)),
    () => {
      throw new Error('unexpected report failure');
    },
  );
  const handlers = new ReportHandlers({ store, reports, announcer, metrics, logger: silent });
  return {
    store,
    registry,
    metrics,
    announcer,
    reports,
    handlers,
    published,
    subjects,
    offlineWrites,
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
}

describe('ReportHandlers', () => {
  it('applies connect, status and disconnect reports in order and announces the transitions', async () => {
    const r = rig();
    const user = randomUUID();
    const base = { gateway_id: 'g1', connection_id: 'g1:a', user_id: user, at: r.now() };
    r.handlers.onReport(new FakeMsg(SUBJECTS.presenceConnect, { ...base, device_id: 'phone' }));
    r.handlers.onReport(new FakeMsg(SUBJECTS.presenceStatus, { ...base, status: 'away' }));
    r.handlers.onReport(new FakeMsg(SUBJECTS.presenceDisconnect, base));
    await r.reports.drain();
    await r.announcer.settled();
    expect(r.published.map((e) => [e.user_id, e.event, e.status])).to.deep.equal([
      [user, 'user_online', 'online'],
      [user, 'user_away', 'away'],
      [user, 'user_offline', 'offline'],
    ]);
    expect(r.subjects).to.deep.equal([1, 2, 3].map(() => SUBJECTS.presenceChanged(user)));
    expect(r.offlineWrites.map((w) => w.map((e) => e.user_id))).to.deep.equal([[user]]);
    for (const kind of ['connect', 'status', 'disconnect']) {
      expect(await counterValue(r.registry, 'neonchat_presence_reports_total', { kind }), kind).to.equal(1);
    }
  });

  it('drops and counts what fails validation: NUL, 1e309, deep JSON, 1 MiB, a bad id, an unknown subject', async () => {
    const r = rig();
    const user = randomUUID();
    const base = { gateway_id: 'g1', connection_id: 'g1:a', user_id: user, at: r.now() };
    const hostile = [
      new FakeMsg(SUBJECTS.presenceConnect, { ...base, user_id: `${user}x` }),
      new FakeMsg(SUBJECTS.presenceConnect, { ...base, connection_id: 'a\u0000'.repeat(200) }),
      new FakeMsg(SUBJECTS.presenceDisconnect, `{"gateway_id":"g1","connection_id":"c","user_id":"${user}","at":1e309}`),
      new FakeMsg(SUBJECTS.presenceStatus, '['.repeat(10_000) + ']'.repeat(10_000)),
      new FakeMsg(SUBJECTS.presenceConnect, { ...base, gateway_id: 'x'.repeat(1 << 20) }),
      new FakeMsg('presence.report.nonsense', base),
      new FakeMsg(SUBJECTS.presenceStatus, { ...base, status: 'offline' }),
    ];
    for (const msg of hostile) r.handlers.onReport(msg);
    await r.reports.drain();
    expect(r.published).to.deep.equal([]);
    expect(await r.store.status(user)).to.equal(undefined);
    expect(await counterValue(r.registry, 'neonchat_presence_reports_total', { kind: 'invalid' })).to.equal(hostile.length);
  });

  it('answers a heartbeat request with the connections it kept, adopting an unknown one', async () => {
    const r = rig();
    const user = randomUUID();
    const msg = new FakeMsg(
      SUBJECTS.presenceHeartbeat,
      { gateway_id: 'g1', connections: [{ connection_id: 'g1:x', user_id: user }], at: r.now() },
      '_INBOX.1',
    );
    r.handlers.onReport(msg);
    await r.handlers.settled();
    expect(msg.replied()).to.deep.equal([{ ok: true, connections: 1 }]);
    expect(r.published.map((e) => e.event)).to.deep.equal(['user_online']);
    expect(await histogramCount(r.registry, 'neonchat_presence_heartbeat_seconds')).to.equal(1);
  });

  it('answers an invalid heartbeat, or one the store fails, with ok: false', async () => {
    const r = rig();
    const bad = new FakeMsg(SUBJECTS.presenceHeartbeat, { gateway_id: '', connections: [], at: 1 }, '_INBOX.2');
    r.handlers.onReport(bad);
    expect(bad.replied()).to.deep.equal([{ ok: false, connections: 0 }]);

    const failing: Pick<PresenceStore, 'heartbeat'> = { heartbeat: () => Promise.reject(new Error('redis down')) };
    const handlers = new ReportHandlers({
      store: failing,
      reports: { push: () => undefined },
      announcer: r.announcer,
      metrics: r.metrics,
      logger: silent,
    });
    const msg = new FakeMsg(SUBJECTS.presenceHeartbeat, { gateway_id: 'g1', connections: [], at: 1 }, '_INBOX.3');
    handlers.onReport(msg);
    await handlers.settled();
    expect(msg.replied()).to.deep.equal([{ ok: false, connections: 0 }]);
    expect(await counterValue(r.registry, 'neonchat_presence_failures_total', { stage: 'heartbeat' })).to.equal(1);
  });
});

describe('PresenceAnnouncer', () => {
  const transition = (user: string, event: PresenceTransition['event']): PresenceTransition => ({
    user_id: user,
    event,
    status: event === 'user_offline' ? 'offline' : event === 'user_away' ? 'away' : 'online',
    last_seen: 42,
  });

  it('publishes one presence.changed per transition and records last_seen for the offline ones in one write', async () => {
    const r = rig();
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    r.announcer.announce([transition(a, 'user_offline'), transition(b, 'user_online'), transition(c, 'user_offline')]);
    await r.announcer.settled();
    expect(r.published).to.deep.equal([
      { type: 'presence.changed', user_id: a, status: 'offline', event: 'user_offline', last_seen: 42, at: r.now() },
      { type: 'presence.changed', user_id: b, status: 'online', event: 'user_online', last_seen: 42, at: r.now() },
      { type: 'presence.changed', user_id: c, status: 'offline', event: 'user_offline', last_seen: 42, at: r.now() },
    ]);
    expect(r.offlineWrites).to.deep.equal([[transition(a, 'user_offline'), transition(c, 'user_offline')]]);
    expect(await counterValue(r.registry, 'neonchat_presence_transitions_total', { event: 'user_offline' })).to.equal(2);
  });

  it('counts a failed publish or last_seen write and goes on', async () => {
    const { registry, metrics } = testMetrics();
    const announcer = new PresenceAnnouncer({
      publish: () => {
        throw new Error('connection closed');
      },
      recordOffline: () => Promise.reject(new Error('postgres down')),
      metrics,
      logger: silent,
    });
    announcer.announce([transition(randomUUID(), 'user_offline'), transition(randomUUID(), 'user_online')]);
    await announcer.settled();
    expect(await counterValue(registry, 'neonchat_presence_failures_total', { stage: 'announce' })).to.equal(2);
    expect(await counterValue(registry, 'neonchat_presence_failures_total', { stage: 'last_seen' })).to.equal(1);
  });
});

describe('QueryHandler', () => {
  function queryRig(store: Pick<PresenceStore, 'statuses'>, lastSeen: Map<string, number> | Error, maxPayload = Infinity) {
    const { registry, metrics } = testMetrics();
    const asked: string[][] = [];
    const handler = new QueryHandler({
      store,
      lastSeen: async (ids) => {
        asked.push([...ids]);
        if (lastSeen instanceof Error) throw lastSeen;
        return lastSeen;
      },
      maxPayload: () => maxPayload,
      metrics,
      logger: silent,
    });
    return { handler, registry, asked };
  }

  it('answers in the order asked, with last_seen from PostgreSQL for the offline users only', async () => {
    const r = rig();
    const [online, offline, never] = [randomUUID(), randomUUID(), randomUUID()];
    r.handlers.onReport(new FakeMsg(SUBJECTS.presenceConnect, { gateway_id: 'g', connection_id: 'g:1', user_id: online, at: r.now() }));
    await r.reports.drain();
    const q = queryRig(r.store, new Map([[offline, 1234]]));
    const msg = new FakeMsg(SUBJECTS.presenceQuery, { user_ids: [offline, online, never] }, '_INBOX.q');
    q.handler.onQuery(msg);
    await q.handler.settled();
    expect(msg.replied()).to.deep.equal([
      {
        statuses: [
          { user_id: offline, status: 'offline', last_seen: 1234 },
          { user_id: online, status: 'online', last_seen: r.now() },
          { user_id: never, status: 'offline', last_seen: null },
        ],
      },
    ]);
    expect(q.asked).to.deep.equal([[offline, never]]);
  });

  it('answers validation_failed, unavailable or payload_too_large, and degrades a PostgreSQL outage to null last_seen', async () => {
    const user = randomUUID();
    const memory = new MemoryPresenceStore(SETTINGS);
    const invalid = queryRig(memory, new Map());
    for (const body of [
      { user_ids: [`${user}\u0000`] },
      { user_ids: [1e308] },
      '{"user_ids":[' + '['.repeat(10_000),
      { user_ids: 'x'.repeat(1 << 20) },
    ]) {
      const msg = new FakeMsg(SUBJECTS.presenceQuery, body, '_INBOX');
      await invalid.handler.answer(msg);
      expect((msg.replied()[0] as { error: { code: string } }).error.code).to.equal('validation_failed');
    }

    const down = queryRig({ statuses: () => Promise.reject(new Error('redis down')) }, new Map());
    const m1 = new FakeMsg(SUBJECTS.presenceQuery, { user_ids: [user] }, '_INBOX');
    await down.handler.answer(m1);
    expect(m1.replied()).to.deep.equal([{ statuses: [], error: { code: 'unavailable', message: 'presence is unavailable, try again' } }]);

    const tiny = queryRig(memory, new Map(), 50);
    const m2 = new FakeMsg(SUBJECTS.presenceQuery, { user_ids: [user, randomUUID()] }, '_INBOX');
    await tiny.handler.answer(m2);
    expect((m2.replied()[0] as { error: { code: string } }).error.code).to.equal('payload_too_large');

    const pgDown = queryRig(memory, new Error('postgres down'));
    const m3 = new FakeMsg(SUBJECTS.presenceQuery, { user_ids: [user] }, '_INBOX');
    await pgDown.handler.answer(m3);
    expect(m3.replied()).to.deep.equal([{ statuses: [{ user_id: user, status: 'offline', last_seen: null }] }]);
    expect(await counterValue(pgDown.registry, 'neonchat_presence_failures_total', { stage: 'last_seen' })).to.equal(1);
  });
});

describe('PresenceSweeper', () => {
  it('takes a silent gateway’s users offline and announces them, in as many calls as it needs up to the cap', async () => {
    const r = rig();
    const users = [randomUUID(), randomUUID()];
    for (const [i, user] of users.entries()) {
      r.handlers.onReport(new FakeMsg(SUBJECTS.presenceConnect, { gateway_id: 'g', connection_id: `g:${i}`, user_id: user, at: r.now() }));
    }
    await r.reports.drain();
    r.published.length = 0;
    const sweeper = new PresenceSweeper({ store: r.store, announcer: r.announcer, intervalMs: 100, metrics: r.metrics, logger: silent });
    await sweeper.sweep();
    expect(r.published).to.deep.equal([]);
    r.advance(SETTINGS.ttlSeconds * 1000);
    await sweeper.sweep();
    expect(r.published.map((e) => [e.user_id, e.event]).sort()).to.deep.equal(users.map((u) => [u, 'user_offline']).sort());

    let calls = 0;
    const busy = new PresenceSweeper({
      store: { sweep: async () => ((calls += 1), { transitions: [], more: true }) },
      announcer: r.announcer,
      intervalMs: 100,
      metrics: r.metrics,
      logger: silent,
    });
    await busy.sweep();
    expect(calls).to.equal(25);
  });

  it('sweeps on its interval until stopped, counting a failed sweep and carrying on', async () => {
    const { registry, metrics } = testMetrics();
    let calls = 0;
    const sweeper = new PresenceSweeper({
      store: {
        sweep: async () => {
          calls += 1;
          if (calls === 1) throw new Error('redis down');
          return { transitions: [], more: false };
        },
      },
      announcer: { announce: () => undefined },
      intervalMs: 5,
      metrics,
      logger: silent,
    });
    sweeper.start();
    while (calls < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await sweeper.stop();
    const stoppedAt = calls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).to.equal(stoppedAt);
    expect(await counterValue(registry, 'neonchat_presence_failures_total', { stage: 'sweep' })).to.equal(1);
  });
});
