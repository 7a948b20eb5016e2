import { expect } from 'chai';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  ACCOUNT_SUBJECTS,
  CLOSE_CODES,
  RevocationList,
  STREAMS,
  SUBJECTS,
  signAccessToken,
  uuidv7,
  type BlocksChangedEvent,
} from '@neonchat/common';
import { TEST_JWT_SECRET, TestSocket, waitFor } from '@neonchat/common/testing';
import { GatewayHarness, type RunningGateway, type TestUser } from './support/gateway-harness.js';

/** Sessions and blocks as the gateway enforces them (issue 27); the api's writes are made here as the api makes them. */
describe('gateway: ended sessions, deleted users and blocks @integration', () => {
  let h: GatewayHarness;
  let gw1: RunningGateway;
  let gw2: RunningGateway;
  let api: RevocationList;

  before(async () => {
    h = await GatewayHarness.start();
    [gw1, gw2] = [await h.gateway(), await h.gateway()];
    api = await RevocationList.open(h.nc, { ttlSeconds: 900, replicas: 1 });
    await api.start();
  });

  after(async () => {
    api?.stop();
    await h?.close();
  });

  const session = (user: TestUser, sid = uuidv7()): TestUser & { sid: string } => ({
    ...user,
    sid,
    token: signAccessToken({ id: user.id, username: user.username }, TEST_JWT_SECRET, 3600, { sid }),
  });

  it("closes an ended session's sockets on two gateways within 1 s with 4004, refuses its token at the upgrade, and leaves the other session open", async () => {
    const user = await h.user();
    const [ended, kept] = [session(user), session(user)];
    const a = await gw1.connect(ended);
    const b = await gw2.connect(ended);
    const other = await gw1.connect(kept);
    const started = Date.now();
    await api.revokeSessions(user.id, [ended.sid]);
    const codes = await Promise.all([a.waitClosed(), b.waitClosed()]);
    const elapsed = Date.now() - started;
    expect(codes).to.deep.equal([CLOSE_CODES.sessionEnded, CLOSE_CODES.sessionEnded]);
    expect(elapsed, 'ms until both sockets closed').to.be.below(1000);
    for (const gw of [gw1, gw2]) expect(await TestSocket.refusal(`${gw.url}?token=${ended.token}`)).to.equal(401);
    // The other session still works: it gets an answer to a frame.
    other.send({ type: 'ping' });
    expect(await other.next((f) => f.type === 'pong')).to.include({ type: 'pong' });
  });

  it('a gateway started after the end loads the list before it listens: the token is refused there too', async () => {
    const user = await h.user();
    const ended = session(user);
    await api.revokeSessions(user.id, [ended.sid]);
    const late = await h.gateway();
    expect(await TestSocket.refusal(`${late.url}?token=${ended.token}`)).to.equal(401);
    const fresh = session(user);
    const ws = await late.connect(fresh);
    expect(ws.frames[0]).to.include({ type: 'ready', user_id: user.id });
  });

  it("refuses a deleted user's every token at the upgrade and closes its sockets, session-less tokens included", async () => {
    const user = await h.user();
    const withSession = session(user);
    const a = await gw1.connect(withSession);
    const b = await gw2.connect(user);
    await api.revokeUser(user.id, true);
    expect(await Promise.all([a.waitClosed(), b.waitClosed()])).to.deep.equal([CLOSE_CODES.sessionEnded, CLOSE_CODES.sessionEnded]);
    expect(await TestSocket.refusal(`${gw1.url}?token=${session(user).token}`)).to.equal(401);
    expect(await TestSocket.refusal(`${gw2.url}?token=${user.token}`)).to.equal(401);
  });

  it("refuses a blocked user's message and reaction in the 1:1 chat (`forbidden`, nothing stored), not in a group, and lets them write again once unblocked", async () => {
    const [alice, mallory] = [await h.user(), await h.user()];
    const direct = await h.chat('direct', [alice, mallory]);
    const group = await h.chat('group', [alice, mallory]);
    const ws = await gw1.connect(mallory);
    // Mallory's gateway has already answered once (cached "not blocked"): the event must drop that.
    ws.send({ type: 'message', chat_id: direct, text: 'before', request_id: 'r-0' });
    const first = await ws.next((f) => f.type === 'message_sent' && f.request_id === 'r-0');

    await h.pool.query('insert into user_blocks (blocker_id, blocked_id) values ($1, $2)', [alice.id, mallory.id]);
    await announce({ blocker_id: alice.id, blocked_id: mallory.id, blocked: true });
    ws.send({ type: 'message', chat_id: direct, text: 'blocked', request_id: 'r-1' });
    expect(await ws.next((f) => f.type === 'error' && f.request_id === 'r-1')).to.include({ code: 'forbidden' });
    ws.send({
      type: 'react',
      op: 'add',
      chat_id: direct,
      message_id: (first.message as { id: string }).id,
      emoji: '👍',
      request_id: 'r-2',
    });
    expect(await ws.next((f) => f.type === 'error' && f.request_id === 'r-2')).to.include({ code: 'forbidden' });
    ws.send({ type: 'message', chat_id: group, text: 'in the group', request_id: 'r-3' });
    await ws.next((f) => f.type === 'message_sent' && f.request_id === 'r-3');

    await h.pool.query('delete from user_blocks where blocker_id = $1 and blocked_id = $2', [alice.id, mallory.id]);
    await announce({ blocker_id: alice.id, blocked_id: mallory.id, blocked: false });
    ws.send({ type: 'message', chat_id: direct, text: 'after', request_id: 'r-4' });
    await ws.next((f) => f.type === 'message_sent' && f.request_id === 'r-4');
    // The chat's subject holds the two accepted messages only: nothing of the refused frames was stored.
    const info = await (await jetstreamManager(h.nc)).streams.info(STREAMS.chatEvents, { subjects_filter: SUBJECTS.chatEvents(direct) });
    expect(info.state.subjects).to.deep.equal({ [SUBJECTS.chatEvents(direct)]: 2 });
    expect(ws.ofType('message_sent').map((f) => f.request_id)).to.deep.equal(['r-0', 'r-3', 'r-4']);
  });

  it('stores pipelined messages of a new 1:1 chat in the order sent (the block check keeps their order)', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const direct = await h.chat('direct', [alice, bob]);
    const ws = await gw2.connect(alice);
    for (let i = 0; i < 30; i++) ws.send({ type: 'message', chat_id: direct, text: `m${i}`, request_id: `p-${i}` });
    await ws.next((f) => f.type === 'message_sent' && f.request_id === 'p-29');
    await waitFor(() => ws.ofType('message_sent').length === 30, { what: 'all 30 acked' });
    const bySeq = ws
      .ofType('message_sent')
      .map((f) => f.message as { seq: number; text: string })
      .sort((a, b) => a.seq - b.seq)
      .map((m) => m.text);
    expect(bySeq).to.deep.equal(Array.from({ length: 30 }, (_, i) => `m${i}`));
  });

  it('refuses a user blocked before they connected from the first message, with no announcement (the connect read brings who blocked them), in a 1:1 chat created after they connected too', async () => {
    const [alice, mallory, carol] = [await h.user(), await h.user(), await h.user()];
    const direct = await h.chat('direct', [alice, mallory]);
    await h.pool.query('insert into user_blocks (blocker_id, blocked_id) values ($1, $2), ($3, $2)', [alice.id, mallory.id, carol.id]);
    const ws = await gw1.connect(mallory);
    ws.send({ type: 'message', chat_id: direct, text: 'blocked', request_id: 'b-1' });
    expect(await ws.next((f) => (f.type === 'error' || f.type === 'message_sent') && f.request_id === 'b-1')).to.include({
      type: 'error',
      code: 'forbidden',
    });
    const later = await h.chat('direct', [carol, mallory]);
    ws.send({ type: 'message', chat_id: later, text: 'blocked too', request_id: 'b-2' });
    expect(await ws.next((f) => (f.type === 'error' || f.type === 'message_sent') && f.request_id === 'b-2')).to.include({
      type: 'error',
      code: 'forbidden',
    });
  });

  it('the blocker still writes into the 1:1 chat', async () => {
    const [alice, mallory] = [await h.user(), await h.user()];
    const direct = await h.chat('direct', [alice, mallory]);
    await h.pool.query('insert into user_blocks (blocker_id, blocked_id) values ($1, $2)', [alice.id, mallory.id]);
    const ws = await gw2.connect(alice);
    ws.send({ type: 'message', chat_id: direct, text: 'still mine', request_id: 'r-a' });
    expect(await ws.next((f) => f.type === 'message_sent' || f.type === 'error')).to.include({ type: 'message_sent' });
  });

  async function announce(event: BlocksChangedEvent): Promise<void> {
    h.nc.publish(ACCOUNT_SUBJECTS.blocksChanged, JSON.stringify(event));
    await h.nc.flush();
  }
});

describe('gateway: signing key rotation @integration', () => {
  const OLD = 'rotation-old-secret-0123456789abcdef-000001';
  const NEW = 'rotation-new-secret-0123456789abcdef-000002';
  let h: GatewayHarness;

  before(async () => {
    h = await GatewayHarness.start();
  });

  after(async () => {
    await h?.close();
  });

  it('keeps every open socket and accepts every new token through add → sign → retire, with two gateways', async () => {
    const user = await h.user();
    const signed = (secret: string) => signAccessToken({ id: user.id, username: user.username }, secret, 3600, { sid: uuidv7() });
    // Before: both sign and verify with OLD; sockets are open on both.
    const a = await h.gateway({ JWT_SECRET: OLD });
    const b = await h.gateway({ JWT_SECRET: OLD });
    const onA = await TestSocket.open(`${a.url}?token=${signed(OLD)}`);
    const onB = await TestSocket.open(`${b.url}?token=${signed(OLD)}`);
    await Promise.all([onA.next((f) => f.type === 'ready'), onB.next((f) => f.type === 'ready')]);

    // 1. Every service learns NEW as accepted (b is rolled; a is still the old process).
    const b2 = await h.gateway({ JWT_SECRET: OLD, JWT_SECRET_PREVIOUS: NEW });
    // 2. The api signs with NEW, OLD still accepted (a is rolled too).
    const a2 = await h.gateway({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD });
    for (const gw of [b2, a2]) {
      for (const secret of [OLD, NEW]) {
        const ws = await TestSocket.open(`${gw.url}?token=${signed(secret)}`);
        expect((await ws.next((f) => f.type === 'ready')).type, `${secret} on ${gw.url}`).to.equal('ready');
        await ws.close();
      }
    }
    // The sockets on the processes not yet rolled were never touched.
    for (const ws of [onA, onB]) {
      ws.send({ type: 'ping' });
      await ws.next((f) => f.type === 'pong');
    }
    // 3. After the access TTL, OLD is retired: only then are its tokens refused.
    const retired = await h.gateway({ JWT_SECRET: NEW });
    expect(await TestSocket.refusal(`${retired.url}?token=${signed(OLD)}`)).to.equal(401);
    const fresh = await TestSocket.open(`${retired.url}?token=${signed(NEW)}`);
    expect((await fresh.next((f) => f.type === 'ready')).type).to.equal('ready');
    for (const ws of [onA, onB, fresh]) await ws.close();
  });
});
