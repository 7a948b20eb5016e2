import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { waitFor } from '@neonchat/common/testing';
import type { PresenceStore, PresenceStoreSettings, PresenceTransition } from '../src/mod.js';

export interface StoreUnderTest {
  readonly store: PresenceStore;
  close(): Promise<void>;
}

/** Short lives, so expiries happen within a test: a connection lives 800 ms without a heartbeat. */
export const CONTRACT_SETTINGS: PresenceStoreSettings = { ttlSeconds: 1, offlineGraceMs: 0, sweepIntervalMs: 100 };

/**
 * The rules every PresenceStore keeps, run against each implementation (Redis, memory). Users
 * are fresh uuids per test, so a store shared with other suites does not disturb the checks.
 */
export function presenceStoreContract(name: string, make: (settings: PresenceStoreSettings) => Promise<StoreUnderTest>): void {
  describe(`presence store contract: ${name}`, () => {
    const opened: StoreUnderTest[] = [];
    const open = async (settings: Partial<PresenceStoreSettings> = {}) => {
      const s = await make({ ...CONTRACT_SETTINGS, ...settings });
      opened.push(s);
      return s.store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    const events = (transitions: PresenceTransition[], user: string) => transitions.filter((t) => t.user_id === user).map((t) => t.event);
    const at = Date.now();
    // Connection ids are unique across gateways and time (`{gateway}:{uuid}`): a closed one stays closed.
    let run = randomUUID();
    beforeEach(() => {
      run = randomUUID();
    });
    const c = (name: string) => `${run}:${name}`;

    it('announces a user online at the first connection only, and offline when the last goes', async () => {
      const store = await open();
      const u = randomUUID();
      expect(
        events(await store.applyReports([{ kind: 'connect', user_id: u, connection_id: c('c1'), device_id: 'phone', at }]), u),
      ).to.deep.equal(['user_online']);
      expect(events(await store.applyReports([{ kind: 'connect', user_id: u, connection_id: c('c2'), at }]), u)).to.deep.equal([]);
      expect(await store.status(u)).to.include({ user_id: u, status: 'online', device_id: 'phone' });
      expect(events(await store.applyReports([{ kind: 'disconnect', user_id: u, connection_id: c('c1'), at }]), u)).to.deep.equal([]);
      const off = await store.applyReports([{ kind: 'disconnect', user_id: u, connection_id: c('c2'), at: at + 5 }]);
      expect(off.filter((t) => t.user_id === u)).to.deep.equal([
        { user_id: u, event: 'user_offline', status: 'offline', last_seen: at + 5 },
      ]);
      expect(await store.statuses([u])).to.deep.equal([undefined]);
    });

    it('announces away and back, only for a live connection and only on a change', async () => {
      const store = await open();
      const u = randomUUID();
      await store.applyReports([{ kind: 'connect', user_id: u, connection_id: c('c1'), at }]);
      const away = await store.applyReports([
        { kind: 'status', user_id: u, connection_id: c('c1'), status: 'away', at },
        { kind: 'status', user_id: u, connection_id: c('c1'), status: 'away', at },
        { kind: 'status', user_id: u, connection_id: c('unknown'), status: 'online', at },
      ]);
      expect(events(away, u)).to.deep.equal(['user_away']);
      expect((await store.status(u))?.status).to.equal('away');
      expect(
        events(await store.applyReports([{ kind: 'status', user_id: u, connection_id: c('c1'), status: 'online', at }]), u),
      ).to.deep.equal(['user_online']);
    });

    it('brings an away user back online when a new socket of theirs opens (a reloaded page), not on a heartbeat', async () => {
      const store = await open();
      const u = randomUUID();
      await store.applyReports([{ kind: 'connect', user_id: u, connection_id: c('old'), at }]);
      await store.applyReports([{ kind: 'status', user_id: u, connection_id: c('old'), status: 'away', at }]);
      // A heartbeat adopting a connection it never heard of is no sign of a person at the screen.
      expect(
        events(await store.heartbeat({ gateway_id: 'g', connections: [{ user_id: u, connection_id: c('quiet') }], at }), u),
      ).to.deep.equal([]);
      expect((await store.status(u))?.status).to.equal('away');
      // The page reloads: the old socket goes, the new one opens within the grace period.
      await store.applyReports([{ kind: 'disconnect', user_id: u, connection_id: c('old'), at: at + 1 }]);
      const back = await store.applyReports([{ kind: 'connect', user_id: u, connection_id: c('new'), at: at + 2 }]);
      expect(events(back, u)).to.deep.equal(['user_online']);
      expect((await store.status(u))?.status).to.equal('online');
      expect(events(await store.applyReports([{ kind: 'connect', user_id: u, connection_id: c('third'), at: at + 3 }]), u)).to.deep.equal(
        [],
      );
    });

    it('ignores a connect that arrives after its own disconnect, and a heartbeat of a closed connection', async () => {
      const store = await open();
      const u = randomUUID();
      const reports = await store.applyReports([
        { kind: 'disconnect', user_id: u, connection_id: c('late'), at },
        { kind: 'connect', user_id: u, connection_id: c('late'), at },
      ]);
      expect(events(reports, u)).to.deep.equal([]);
      const beat = await store.heartbeat({ gateway_id: 'gw', at, connections: [{ user_id: u, connection_id: c('late') }] });
      expect(events(beat, u)).to.deep.equal([]);
      expect(await store.status(u)).to.equal(undefined);
    });

    it('adopts a connection it only hears of by heartbeat, and keeps known ones alive quietly', async () => {
      const store = await open();
      const u = randomUUID();
      const first = await store.heartbeat({ gateway_id: 'gw', at, connections: [{ user_id: u, connection_id: c('c9') }] });
      expect(events(first, u)).to.deep.equal(['user_online']);
      const again = await store.heartbeat({ gateway_id: 'gw', at, connections: [{ user_id: u, connection_id: c('c9') }] });
      expect(events(again, u)).to.deep.equal([]);
      expect((await store.counts()).connections).to.be.at.least(1);
    });

    it('sweeps a connection whose gateway stopped heartbeating: offline, last seen at its last heartbeat', async () => {
      const store = await open();
      const u = randomUUID();
      await store.applyReports([{ kind: 'connect', user_id: u, connection_id: c('c1'), at }]);
      const swept: PresenceTransition[] = [];
      await waitFor(
        async () => {
          swept.push(...(await store.sweep(1000)).transitions.filter((t) => t.user_id === u));
          return swept.length > 0;
        },
        { what: 'the connection swept', timeoutMs: 5000 },
      );
      expect(swept.map((t) => t.event)).to.deep.equal(['user_offline']);
      expect(swept[0]!.last_seen).to.be.within(at - 1000, Date.now());
    });

    it('waits out the grace period before offline, and says nothing if the user is back in time', async () => {
      const store = await open({ offlineGraceMs: 150 });
      const u = randomUUID();
      await store.applyReports([{ kind: 'connect', user_id: u, connection_id: c('c1'), at }]);
      expect(events(await store.applyReports([{ kind: 'disconnect', user_id: u, connection_id: c('c1'), at: at + 1 }]), u)).to.deep.equal(
        [],
      );
      expect(events(await store.applyReports([{ kind: 'connect', user_id: u, connection_id: c('c2'), at: at + 2 }]), u)).to.deep.equal([]);
      expect(events(await store.applyReports([{ kind: 'disconnect', user_id: u, connection_id: c('c2'), at: at + 3 }]), u)).to.deep.equal(
        [],
      );
      const swept: PresenceTransition[] = [];
      await waitFor(
        async () => {
          swept.push(...(await store.sweep(1000)).transitions.filter((t) => t.user_id === u));
          return swept.length > 0;
        },
        { what: 'offline after the grace period', timeoutMs: 5000 },
      );
      expect(swept).to.deep.equal([{ user_id: u, event: 'user_offline', status: 'offline', last_seen: at + 3 }]);
    });
  });
}
