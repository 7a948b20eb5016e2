import { expect } from 'chai';
import { ACCOUNT_SUBJECTS, NeonError } from '@neonchat/common/contracts';
import { DIRECT_CHAT_MEMBERS, BLOCKERS_OF_USER } from '@neonchat/common/queries';
import { DirectChatBlocks } from '../src/direct-chat-blocks.js';

const CHAT = '0190a000-0000-7000-8000-0000000000c1';
const ALICE = '0190a000-0000-7000-8000-00000000000a';
const MALLORY = '0190a000-0000-7000-8000-00000000000b';

/** A pool that answers the two block queries from plain data and counts what it was asked. */
function fakePool(state: { blockers: Map<string, string[]> }) {
  const asked: string[] = [];
  let hold: Promise<void> | undefined;
  const pool = {
    asked,
    holdNext(until: Promise<void>) {
      hold = until;
    },
    async query<R>(sql: string, params: unknown[]): Promise<{ rows: R[] }> {
      asked.push(
        sql === BLOCKERS_OF_USER ? `blockers:${String(params[0])}` : sql === DIRECT_CHAT_MEMBERS ? `peers:${String(params[0])}` : sql,
      );
      const waiting = hold;
      hold = undefined;
      const rows =
        sql === BLOCKERS_OF_USER
          ? [{ blocker_ids: [...(state.blockers.get(params[0] as string) ?? [])] }]
          : params[0] === CHAT
            ? [{ user1_id: ALICE, user2_id: MALLORY }]
            : [];
      if (waiting) await waiting;
      return { rows: rows as R[] };
    },
  };
  return pool;
}

function fakeBus() {
  const handlers = new Map<string, (data: Uint8Array) => void>();
  const reconnects: Array<() => void> = [];
  return {
    subscribe(subject: string, onData: (data: Uint8Array) => void) {
      handlers.set(subject, onData);
      return { unsubscribe() {} };
    },
    onReconnect(listener: () => void) {
      reconnects.push(listener);
    },
    announce(event: unknown) {
      handlers.get(ACCOUNT_SUBJECTS.blocksChanged)!(new TextEncoder().encode(typeof event === 'string' ? event : JSON.stringify(event)));
    },
    reconnect() {
      for (const l of reconnects) l();
    },
  };
}

describe('gateway: the 1:1 block check (DirectChatBlocks)', () => {
  it('asks nothing on send for a user whose blockers came with the connect read and a known peer', async () => {
    const pool = fakePool({ blockers: new Map() });
    const blocks = new DirectChatBlocks(pool);
    blocks.learnBlockers(MALLORY, [], blocks.stamp());
    for (let i = 0; i < 100; i++) expect(await blocks.isBlocked(CHAT, MALLORY, ALICE)).to.equal(false);
    expect(pool.asked).to.deep.equal([]);
  });

  it('reads the peer of a chat and a user blockers once each, then answers from memory', async () => {
    const pool = fakePool({ blockers: new Map([[MALLORY, [ALICE]]]) });
    const blocks = new DirectChatBlocks(pool);
    const answers = await Promise.all([blocks.isBlocked(CHAT, MALLORY), blocks.isBlocked(CHAT, MALLORY), blocks.isBlocked(CHAT, ALICE)]);
    expect(answers).to.deep.equal([true, true, false]);
    expect(await blocks.isBlocked(CHAT, MALLORY)).to.equal(true);
    expect(pool.asked.filter((a) => a.startsWith('peers:'))).to.have.length(1);
    expect(pool.asked.filter((a) => a === `blockers:${MALLORY}`)).to.have.length(1);
  });

  it('applies block and unblock announcements in place, without asking the database', async () => {
    const pool = fakePool({ blockers: new Map() });
    const bus = fakeBus();
    const blocks = new DirectChatBlocks(pool);
    blocks.follow(bus);
    blocks.learnBlockers(MALLORY, [], blocks.stamp());
    bus.announce({ blocker_id: ALICE.toUpperCase(), blocked_id: MALLORY, blocked: true });
    expect(await blocks.isBlocked(CHAT, MALLORY, ALICE)).to.equal(true);
    try {
      await blocks.requireNotBlocked(CHAT, MALLORY, ALICE);
      expect.fail('a blocked sender passed');
    } catch (err) {
      expect(err).to.be.instanceOf(NeonError);
      expect((err as NeonError).code).to.equal('forbidden');
    }
    bus.announce({ blocker_id: ALICE, blocked_id: MALLORY, blocked: false });
    expect(await blocks.isBlocked(CHAT, MALLORY, ALICE)).to.equal(false);
    expect(pool.asked).to.deep.equal([]);
  });

  it('does not keep an answer read before an announcement, nor one from a stale connect read', async () => {
    const state = { blockers: new Map<string, string[]>() };
    const pool = fakePool(state);
    const bus = fakeBus();
    const blocks = new DirectChatBlocks(pool);
    blocks.follow(bus);
    let release!: () => void;
    pool.holdNext(new Promise<void>((r) => (release = r)));
    const answer = blocks.isBlocked(CHAT, MALLORY, ALICE);
    // The block lands while the read (which saw no block) is under way.
    state.blockers.set(MALLORY, [ALICE]);
    bus.announce({ blocker_id: ALICE, blocked_id: MALLORY, blocked: true });
    release();
    expect(await answer).to.equal(false);
    expect(await blocks.isBlocked(CHAT, MALLORY, ALICE)).to.equal(true);
    const stale = blocks.stamp();
    bus.announce({ blocker_id: ALICE, blocked_id: MALLORY, blocked: false });
    state.blockers.set(MALLORY, []);
    blocks.learnBlockers(MALLORY, [ALICE], stale);
    expect(await blocks.isBlocked(CHAT, MALLORY, ALICE)).to.equal(false);
  });

  it('forgets every user blockers after a reconnect and on an announcement it cannot read', async () => {
    const state = { blockers: new Map<string, string[]>() };
    const pool = fakePool(state);
    const bus = fakeBus();
    const blocks = new DirectChatBlocks(pool);
    blocks.follow(bus);
    blocks.learnBlockers(MALLORY, [], blocks.stamp());
    state.blockers.set(MALLORY, [ALICE]);
    bus.reconnect();
    expect(await blocks.isBlocked(CHAT, MALLORY, ALICE)).to.equal(true);
    state.blockers.set(MALLORY, []);
    bus.announce('{"blocker_id": "not a uuid"');
    expect(await blocks.isBlocked(CHAT, MALLORY, ALICE)).to.equal(false);
    expect(pool.asked.filter((a) => a === `blockers:${MALLORY}`)).to.have.length(2);
  });

  it('reads a user blockers again once the answer is ten minutes old', async () => {
    const state = { blockers: new Map<string, string[]>() };
    const pool = fakePool(state);
    let now = 1_000_000;
    const blocks = new DirectChatBlocks(pool, () => now);
    blocks.learnBlockers(MALLORY, [], blocks.stamp());
    state.blockers.set(MALLORY, [ALICE]);
    now += 9 * 60_000;
    expect(await blocks.isBlocked(CHAT, MALLORY, ALICE)).to.equal(false);
    now += 2 * 60_000;
    expect(await blocks.isBlocked(CHAT, MALLORY, ALICE)).to.equal(true);
  });

  it('is never blocked in a chat that is not a 1:1 chat of the sender', async () => {
    const pool = fakePool({ blockers: new Map([[MALLORY, [ALICE]]]) });
    const blocks = new DirectChatBlocks(pool);
    expect(await blocks.isBlocked('0190a000-0000-7000-8000-0000000000ff', MALLORY)).to.equal(false);
  });
});
