import { expect } from 'chai';
import type { HttpRequest, HttpResponse, us_socket_context_t } from 'uWebSockets.js';
import { CLOSE_CODES, SigningKeys, signAccessToken } from '@neonchat/common';
import { ChatHub } from '../src/chat-hub.js';
import { ConnectionLifecycle, isUpgradeConnection } from '../src/connection-lifecycle.js';
import { KnownUsers } from '../src/known-users.js';
import { Outbound } from '../src/outbound.js';
import { PresenceIndex } from '../src/presence-index.js';
import { SocketRegistry } from '../src/socket-registry.js';
import { TypingTracker } from '../src/typing-tracker.js';
import { userTopic } from '../src/chat-topics.js';
import {
  FakeApp,
  FakeNats,
  FakeSocket,
  FakeUpgradeRequest,
  FakeUpgradeResponse,
  silentLogger,
  socketState,
  testMetrics,
} from './support/fakes.js';

const chatId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b';

type ChatsOf = (userId: string) => Promise<Map<string, { type: 'direct' | 'group' | 'channel'; role: 'member' | 'admin' }> | undefined>;

function setup(maxSocketsPerUser = 5, activeChatsOf: ChatsOf = async () => new Map()) {
  const nats = new FakeNats();
  const app = new FakeApp();
  const sockets = new SocketRegistry();
  const metrics = testMetrics();
  const knownUsers = new KnownUsers({ max: 100, ttlMs: 60_000 });
  const reads: string[] = [];
  const outbound = new Outbound(sockets, 1024 * 1024, metrics, silentLogger);
  const typing = new TypingTracker(() => undefined, 60_000);
  const hub = new ChatHub({
    bus: nats.connection,
    readGap: async () => undefined,
    app,
    sockets,
    presenceIndex: new PresenceIndex(
      async () => new Map(),
      () => undefined,
    ),
    typing,
    outbound,
    metrics,
    logger: silentLogger,
  });
  const reported: string[] = [];
  const routed: Array<{ type: string; frame: unknown }> = [];
  const lifecycle = new ConnectionLifecycle({
    settings: {
      gatewayId: 'gw-t',
      keys: new SigningKeys('x'.repeat(32)),
      maxSocketsPerUser,
      ratePerSecond: 10,
      rateBurst: 10,
      readyFlushTimeoutMs: 1000,
    },
    revocations: { revoked: () => undefined },
    hub,
    sockets,
    memberships: {
      activeChatsOf: (userId) => {
        reads.push(userId);
        return activeChatsOf(userId);
      },
    },
    knownUsers,
    presence: {
      connected: (c, u) => reported.push(`connected ${u}`),
      disconnected: (c, u) => reported.push(`disconnected ${u}`),
    },
    router: {
      handle: () => undefined,
      run: (_ws, type, frame) => routed.push({ type, frame }),
      releaseEarly: () => undefined,
    },
    outbound,
    metrics,
    logger: silentLogger,
  });
  const stop = () => {
    lifecycle.closeAll();
    typing.close();
  };
  return { nats, app, sockets, hub, lifecycle, reported, routed, stop, knownUsers, reads, metrics };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('gateway connection lifecycle (no servers)', () => {
  it('opens: registered, following its chats, and `ready` first once NATS confirmed the subscriptions', async () => {
    const t = setup();
    t.nats.flushes = [];
    const ws = new FakeSocket(socketState('alice', [[chatId, 'group']], { openChatId: chatId }), t.app);
    t.lifecycle.open(ws.socket);
    expect(t.sockets.size, 'admitted only once its chats are read').to.equal(0);
    await settle();
    expect(t.sockets.size).to.equal(1);
    expect(t.hub.feed.has(chatId), 'the live subscription is made at open').to.equal(true);
    expect(ws.topics.size, 'but no topic is joined before ready').to.equal(0);
    // A live event before `ready`: the socket follows the chat but is on no topic yet, so `ready` stays first.
    t.hub.event({ chatId, seq: 1, type: 'new_message', data: JSON.stringify({ type: 'new_message' }), origin: undefined });
    expect(ws.sent, 'nothing before NATS has the subscriptions and ready went out').to.have.length(0);
    for (const done of t.nats.flushes.splice(0)) done();
    await settle();
    expect(ws.sent[0]).to.deep.include({ type: 'ready', user_id: 'alice', chat_ids: [chatId] });
    expect(ws.topics.has(userTopic('alice'))).to.equal(true);
    t.hub.event({ chatId, seq: 2, type: 'new_message', data: JSON.stringify({ type: 'new_message' }), origin: undefined });
    expect(ws.types(), 'live after ready').to.deep.equal(['ready', 'new_message']);
    expect(t.routed, 'the ?chat_id= open runs right after ready').to.deep.equal([
      { type: 'open', frame: { type: 'open', chat_id: chatId } },
    ]);
    expect(t.reported).to.deep.equal(['connected alice']);
    t.stop();
  });

  it('refuses a socket past the per-user cap, and any while shutting down', async () => {
    const t = setup(1);
    const first = new FakeSocket(socketState('bob'), t.app);
    t.lifecycle.open(first.socket);
    const second = new FakeSocket(socketState('bob'), t.app);
    t.lifecycle.open(second.socket);
    await settle();
    expect(second.ended?.code).to.equal(CLOSE_CODES.tooManyConnections);
    t.lifecycle.stopAccepting();
    const late = new FakeSocket(socketState('carol'), t.app);
    t.lifecycle.open(late.socket);
    expect(late.ended?.code).to.equal(CLOSE_CODES.goingAway);
    expect(t.sockets.size).to.equal(1);
    t.stop();
  });

  it('closes: unregistered, chats released, presence told; a refused socket has nothing to clean', async () => {
    const t = setup();
    const ws = new FakeSocket(socketState('dave', [[chatId, 'direct']]), t.app);
    t.lifecycle.open(ws.socket);
    await settle();
    t.lifecycle.close(ws.socket, 1000);
    expect(ws.socket.getUserData().closed).to.equal(true);
    expect(t.sockets.size).to.equal(0);
    expect(t.hub.feed.size).to.equal(0);
    expect(t.reported).to.deep.equal(['connected dave', 'disconnected dave']);
    const refused = new FakeSocket(socketState('erin'), t.app);
    t.lifecycle.close(refused.socket, 1006);
    expect(t.reported).to.have.length(2);
    t.stop();
  });

  it('closeAll ends every open socket with the reconnect code', async () => {
    const t = setup();
    const sockets = ['u1', 'u2'].map((u) => new FakeSocket(socketState(u), t.app));
    for (const ws of sockets) t.lifecycle.open(ws.socket);
    await settle();
    t.stop();
    expect(sockets.map((ws) => ws.ended?.code)).to.deep.equal([CLOSE_CODES.goingAway, CLOSE_CODES.goingAway]);
  });

  it('reads the chats at open: an unknown user is closed 4003, an outage 1013, neither registered', async () => {
    const t = setup(5, async (userId) => {
      if (userId === 'ghost') return undefined;
      if (userId === 'outage') throw new Error('connection refused');
      return new Map([[chatId, { type: 'group', role: 'member' }]]);
    });
    const ghost = new FakeSocket(socketState('ghost'), t.app);
    const outage = new FakeSocket(socketState('outage'), t.app);
    const fine = new FakeSocket(socketState('frank'), t.app);
    for (const ws of [ghost, outage, fine]) t.lifecycle.open(ws.socket);
    await settle();
    expect(ghost.ended?.code).to.equal(CLOSE_CODES.unknownUser);
    expect(outage.ended?.code).to.equal(CLOSE_CODES.tryAgainLater);
    expect(fine.ended).to.equal(undefined);
    expect([...fine.socket.getUserData().chats.keys()], 'the chats read at open').to.deep.equal([chatId]);
    expect(t.sockets.size).to.equal(1);
    expect(t.reported).to.deep.equal(['connected frank']);
    t.stop();
  });

  it('lets a socket closed while its chats are read go without admitting it', async () => {
    let release: (chats: Map<string, { type: 'group'; role: 'member' }>) => void = () => undefined;
    const t = setup(5, () => new Promise((resolve) => (release = resolve)));
    const ws = new FakeSocket(socketState('gina'), t.app);
    t.lifecycle.open(ws.socket);
    t.lifecycle.close(ws.socket, 1001);
    release(new Map([[chatId, { type: 'group', role: 'member' }]]));
    await settle();
    expect(t.sockets.size).to.equal(0);
    expect(t.hub.feed.size).to.equal(0);
    expect(t.reported).to.deep.equal([]);
    t.stop();
  });
});

describe('gateway upgrade: unknown users refused before the socket exists (no servers)', () => {
  const KEY = 'x'.repeat(32);
  const alice = '0190a7b2-1c3d-7e4f-8a9b-00000000a11c';
  const ghost = '0190a7b2-1c3d-7e4f-8a9b-0000000000f0';
  const down = '0190a7b2-1c3d-7e4f-8a9b-0000000000d0';
  const chats: ChatsOf = async (userId) => {
    if (userId === ghost) return undefined;
    if (userId === down) throw new Error('connection refused');
    return new Map([[chatId, { type: 'group', role: 'member' }]]);
  };
  const token = (id: string) => signAccessToken({ id, username: 'someone' }, KEY, 3600);
  const context = {} as us_socket_context_t;

  function upgrade(t: ReturnType<typeof setup>, userId: string, headers: Record<string, string> = {}): FakeUpgradeResponse {
    const res = new FakeUpgradeResponse();
    const req = new FakeUpgradeRequest(`token=${token(userId)}`, headers);
    t.lifecycle.upgrade(res as unknown as HttpResponse, req as unknown as HttpRequest, context);
    return res;
  }
  const checks = async (t: ReturnType<typeof setup>) =>
    Object.fromEntries((await t.metrics.upgradeUserChecks.get()).values.map((v) => [String(v.labels.outcome), v.value]));

  it('answers a token of a user that does not exist with 401 after one read, and never upgrades it', async () => {
    const t = setup(5, chats);
    const res = upgrade(t, ghost);
    expect(res.answered, 'answered only once the read is back').to.equal(false);
    await settle();
    expect(res.status).to.equal('401 Unauthorized');
    expect(JSON.parse(res.body ?? '{}')).to.deep.equal({ error: { code: 'unauthorized', message: 'unknown user: log in again' } });
    expect(res.upgraded).to.equal(undefined);
    expect(t.reads).to.deep.equal([ghost]);
    expect(t.knownUsers.has(ghost)).to.equal(false);
    expect(await checks(t)).to.deep.equal({ unknown: 1 });
    t.stop();
  });

  it('upgrades a first-seen user after the read (not corked), hands the chats to open, which reads nothing more', async () => {
    const t = setup(5, chats);
    const res = upgrade(t, alice);
    await settle();
    expect(res.upgraded?.corked, 'uWS 20.30 may cut a socket upgraded late inside cork').to.equal(false);
    const state = res.upgraded!.state;
    expect(state.chatsAtUpgrade).to.equal('read');
    expect([...state.chats.keys()]).to.deep.equal([chatId]);
    const ws = new FakeSocket(state, t.app);
    t.lifecycle.open(ws.socket);
    await settle();
    expect(t.sockets.size).to.equal(1);
    expect(ws.sent[0]).to.deep.include({ type: 'ready', chat_ids: [chatId] });
    expect(t.reads, 'one read for the whole connect').to.deep.equal([alice]);
    expect(t.knownUsers.has(alice)).to.equal(true);
    t.stop();
  });

  it('upgrades a known user at once, synchronously; open then reads the chats: still one read per connect', async () => {
    const t = setup(5, chats);
    t.knownUsers.remember(alice);
    const res = upgrade(t, alice);
    expect(res.upgraded, 'upgraded within the call').to.not.equal(undefined);
    expect(res.upgraded!.state.chatsAtUpgrade).to.equal(undefined);
    expect(t.reads).to.deep.equal([]);
    const ws = new FakeSocket(res.upgraded!.state, t.app);
    t.lifecycle.open(ws.socket);
    await settle();
    expect(t.reads).to.deep.equal([alice]);
    expect(ws.sent[0]).to.deep.include({ type: 'ready' });
    expect(await checks(t)).to.deep.equal({ known: 1 });
    t.stop();
  });

  it('forgets a known user whose row is gone: closed 4003 at open, and the next upgrade answers 401', async () => {
    const t = setup(5, chats);
    t.knownUsers.remember(ghost);
    const res = upgrade(t, ghost);
    const ws = new FakeSocket(res.upgraded!.state, t.app);
    t.lifecycle.open(ws.socket);
    await settle();
    expect(ws.ended?.code).to.equal(CLOSE_CODES.unknownUser);
    expect(t.knownUsers.has(ghost)).to.equal(false);
    const again = upgrade(t, ghost);
    await settle();
    expect(again.status).to.equal('401 Unauthorized');
    t.stop();
  });

  it('upgrades when the read fails and open closes with 1013 without reading again', async () => {
    const t = setup(5, chats);
    const res = upgrade(t, down);
    await settle();
    expect(res.upgraded?.state.chatsAtUpgrade).to.equal('unavailable');
    const ws = new FakeSocket(res.upgraded!.state, t.app);
    t.lifecycle.open(ws.socket);
    expect(ws.ended?.code).to.equal(CLOSE_CODES.tryAgainLater);
    expect(t.reads).to.deep.equal([down]);
    expect(t.sockets.size).to.equal(0);
    t.stop();
  });

  it('leaves an aborted request alone, and answers 503 to one whose read ends after shutdown began', async () => {
    let release: () => void = () => undefined;
    const t = setup(5, (userId) => new Promise((resolve) => (release = () => resolve(chats(userId)))));
    const gone = upgrade(t, alice);
    gone.abort();
    release();
    await settle();
    expect(gone.answered, 'nothing is written to an aborted response').to.equal(false);
    const late = upgrade(t, alice);
    t.lifecycle.stopAccepting();
    release();
    await settle();
    expect(late.status).to.equal('503 Service Unavailable');
    expect(await checks(t)).to.deep.include({ aborted: 1 });
    t.stop();
  });

  it('refuses a request that does not ask for `Connection: Upgrade` with 400, known user or not, before any read', async () => {
    const t = setup(5, chats);
    const res = upgrade(t, alice, { connection: 'close' });
    expect(res.status).to.equal('400 Bad Request');
    t.knownUsers.remember(alice);
    expect(upgrade(t, alice, { connection: 'keep-alive' }).status).to.equal('400 Bad Request');
    expect(t.reads).to.deep.equal([]);
    expect(isUpgradeConnection('keep-alive, Upgrade')).to.equal(true);
    expect(isUpgradeConnection('upgrade')).to.equal(true);
    expect(isUpgradeConnection('close')).to.equal(false);
    expect(isUpgradeConnection('')).to.equal(false);
    t.stop();
  });
});
