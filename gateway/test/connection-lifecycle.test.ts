import { expect } from 'chai';
import { CLOSE_CODES } from '@neonchat/common';
import { ChatHub } from '../src/chat-hub.js';
import { ConnectionLifecycle } from '../src/connection-lifecycle.js';
import { Outbound } from '../src/outbound.js';
import { PresenceIndex } from '../src/presence-index.js';
import { SocketRegistry } from '../src/socket-registry.js';
import { TypingTracker } from '../src/typing-tracker.js';
import { userTopic } from '../src/chat-topics.js';
import { FakeApp, FakeNats, FakeSocket, silentLogger, socketState, testMetrics } from './support/fakes.js';

const chatId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b';

type ChatsOf = (userId: string) => Promise<Map<string, { type: 'direct' | 'group' | 'channel'; role: 'member' | 'admin' }> | undefined>;

function setup(maxSocketsPerUser = 5, activeChatsOf: ChatsOf = async () => new Map()) {
  const nats = new FakeNats();
  const app = new FakeApp();
  const sockets = new SocketRegistry();
  const metrics = testMetrics();
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
      jwtSecret: 'x'.repeat(32),
      maxSocketsPerUser,
      ratePerSecond: 10,
      rateBurst: 10,
      readyFlushTimeoutMs: 1000,
    },
    hub,
    sockets,
    memberships: { activeChatsOf },
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
  return { nats, app, sockets, hub, lifecycle, reported, routed, stop };
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
