import { expect } from 'chai';
import { SUBJECTS } from '@neonchat/common';
import { ChatHub } from '../src/chat-hub.js';
import type { LiveFrameType } from '../src/live-feed.js';
import { chatTopic } from '../src/chat-topics.js';
import { Outbound } from '../src/outbound.js';
import { PresenceIndex } from '../src/presence-index.js';
import { SocketRegistry } from '../src/socket-registry.js';
import { TypingTracker } from '../src/typing-tracker.js';
import { FakeApp, FakeNats, FakeSocket, silentLogger, socketState, testMetrics } from './support/fakes.js';

function setup() {
  const nats = new FakeNats();
  const app = new FakeApp();
  const sockets = new SocketRegistry();
  const metrics = testMetrics();
  const outbound = new Outbound(sockets, 1024 * 1024, metrics, silentLogger);
  const members = new Map<string, string[]>();
  const presenceIndex = new PresenceIndex(
    async (ids) => new Map(ids.map((id) => [id, members.get(id) ?? []])),
    () => undefined,
  );
  const typed: string[] = [];
  const typing = new TypingTracker((chat, user, on) => typed.push(`${chat}:${user}:${on}`), 60_000);
  const hub = new ChatHub({
    bus: nats.connection,
    readGap: async () => undefined,
    app,
    sockets,
    presenceIndex,
    typing,
    outbound,
    metrics,
    logger: silentLogger,
  });
  /** An admitted socket, as the lifecycle leaves it after `open`. */
  const connect = (userId: string, chats: Array<[string, 'direct' | 'group' | 'channel']> = []) => {
    const ws = new FakeSocket(socketState(userId, chats, { admitted: true }), app);
    sockets.add(ws.socket);
    hub.admit(ws.socket);
    hub.markReady(ws.socket);
    return ws;
  };
  const live = (chatId: string, seq: number, type: LiveFrameType = 'new_message', origin?: string) =>
    hub.event({ chatId, seq, type, data: JSON.stringify({ type, seq }), origin });
  return { nats, app, sockets, metrics, hub, typing, typed, members, presenceIndex, connect, live };
}

describe('gateway chat hub (no servers)', () => {
  it('admits a socket into its chats: topic, one live subscription per chat, followers', () => {
    const t = setup();
    const a = t.connect('alice', [
      ['c1', 'group'],
      ['c2', 'direct'],
    ]);
    const b = t.connect('bob', [['c1', 'group']]);
    expect([...a.topics].sort()).to.deep.equal([chatTopic('c1'), chatTopic('c2')]);
    expect(b.topics.has(chatTopic('c1'))).to.equal(true);
    expect(t.nats.subscriptions.get(SUBJECTS.liveChat('c1')), 'one subscription per chat per gateway').to.equal(1);
    expect(t.hub.feed.size).to.equal(2);
    expect(t.sockets.followersOf('c1').size).to.equal(2);
    t.typing.close();
  });

  it('joins no topic before ready, then every chat the socket follows by then', () => {
    const t = setup();
    const ws = new FakeSocket(socketState('alice', [['c1', 'group']], { admitted: true }), t.app);
    t.sockets.add(ws.socket);
    t.hub.admit(ws.socket);
    t.hub.follow(ws.socket, 'c2', { type: 'group', role: 'member' });
    expect(ws.topics.size).to.equal(0);
    expect(t.hub.feed.size, 'the live subscriptions are made already').to.equal(2);
    t.live('c1', 1);
    expect(ws.sent).to.have.length(0);
    t.hub.markReady(ws.socket);
    expect([...ws.topics].sort()).to.deep.equal([chatTopic('c1'), chatTopic('c2')]);
    t.typing.close();
  });

  it('follows and unfollows in one step: topic, subscription refs, followers, typing, membership cache', () => {
    const t = setup();
    const a = t.connect('alice');
    const b = t.connect('bob');
    t.hub.follow(a.socket, 'c', { type: 'group', role: 'member' });
    t.hub.follow(b.socket, 'c', { type: 'group', role: 'member' });
    t.hub.follow(b.socket, 'c', { type: 'group', role: 'admin' });
    expect(b.socket.getUserData().chats.get('c')?.role, 'a second follow only updates the view').to.equal('admin');
    expect(t.nats.subscriptions.get(SUBJECTS.liveChat('c'))).to.equal(1);
    t.typing.set(a.socket.getUserData().connectionId, 'alice', 'c', true);
    a.socket.getUserData().typingIn.add('c');
    t.hub.unfollow(a.socket, 'c');
    expect(a.topics.size).to.equal(0);
    expect(a.socket.getUserData().chats.has('c')).to.equal(false);
    expect(t.typed, 'leaving a chat ends typing in it').to.deep.equal(['c:alice:true', 'c:alice:false']);
    expect(t.nats.subscriptions.has(SUBJECTS.liveChat('c')), 'bob still follows').to.equal(true);
    t.hub.unfollow(b.socket, 'c');
    expect(t.nats.subscriptions.has(SUBJECTS.liveChat('c')), 'the last follower gone, the subscription goes').to.equal(false);
    expect(t.sockets.followersOf('c').size).to.equal(0);
    t.typing.close();
  });

  it('applies membership announcements and resyncs to every socket of the user', () => {
    const t = setup();
    const a1 = t.connect('alice', [['old', 'group']]);
    const a2 = t.connect('alice', [['old', 'group']]);
    t.hub.membershipChanged('new', 'alice', { type: 'group', role: 'member' });
    for (const ws of [a1, a2]) expect(ws.topics.has(chatTopic('new'))).to.equal(true);
    t.hub.membershipChanged('new', 'alice', undefined);
    for (const ws of [a1, a2]) expect(ws.topics.has(chatTopic('new'))).to.equal(false);
    t.hub.resync('alice', new Map([['other', { type: 'direct', role: 'member' }]]));
    for (const ws of [a1, a2]) expect([...ws.topics]).to.deep.equal([chatTopic('other')]);
    expect(t.hub.feed.has('old')).to.equal(false);
    t.typing.close();
  });

  it('fans a stored event out once through the topic, leaving the sender out of its own new_message', () => {
    const t = setup();
    const a = t.connect('alice', [['c', 'direct']]);
    const b = t.connect('bob', [['c', 'direct']]);
    t.live('c', 1, 'new_message', a.socket.getUserData().connectionId);
    t.live('c', 2, 'reaction', a.socket.getUserData().connectionId);
    expect(b.types()).to.deep.equal(['new_message', 'reaction']);
    expect(a.types(), 'the sender has message_sent, but sees every reaction').to.deep.equal(['reaction']);
    t.typing.close();
  });

  it('wants an event only if some socket here takes it: not the sender’s own new message alone, not a chat nobody follows', () => {
    const t = setup();
    const a = t.connect('alice', [['c', 'direct']]);
    const origin = a.socket.getUserData().connectionId;
    expect(t.hub.wanted('c', origin, true), 'only the sender follows: its new message is unwanted').to.equal(false);
    expect(t.hub.wanted('c', origin, false), 'its reaction goes back to it').to.equal(true);
    expect(t.hub.wanted('c', 'another-connection', true)).to.equal(true);
    expect(t.hub.wanted('c', undefined, true), 'from the api: the follower takes it').to.equal(true);
    expect(t.hub.wanted('nobody', undefined, false)).to.equal(false);
    const b = t.connect('bob', [['c', 'direct']]);
    expect(t.hub.wanted('c', origin, true), 'another follower').to.equal(true);
    t.hub.unfollow(b.socket, 'c');
    t.hub.holdLive(a.socket, 'c');
    expect(t.hub.wanted('c', origin, true), 'a socket catching up holds what comes meanwhile').to.equal(true);
    t.typing.close();
  });

  it('holds live events while a socket catches up, then sends what it lacks and rejoins the topic in one step', () => {
    const t = setup();
    const a = t.connect('alice', [['c', 'group']]);
    const b = t.connect('bob', [['c', 'group']]);
    t.hub.holdLive(a.socket, 'c');
    expect(a.topics.has(chatTopic('c'))).to.equal(false);
    expect(() => t.hub.holdLive(a.socket, 'c'))
      .to.throw()
      .with.property('code', 'conflict');
    t.live('c', 5);
    t.live('c', 6);
    t.live('c', 7, 'message_updated');
    expect(a.sent, 'nothing goes out while catching up').to.have.length(0);
    expect(b.types()).to.have.length(3);
    t.hub.rejoinLive(a.socket, 'c', (e) => e.kind === 'new_message' && e.seq <= 5);
    expect(a.sent.map((f) => f.seq)).to.deep.equal([6, 7]);
    expect(a.topics.has(chatTopic('c'))).to.equal(true);
    t.live('c', 8);
    expect(a.sent.map((f) => f.seq)).to.deep.equal([6, 7, 8]);
    t.typing.close();
  });

  it('a chat joined during a catch-up joins its topic only when the catch-up ends; a chat lost meanwhile does not', () => {
    const t = setup();
    const a = t.connect('alice');
    t.hub.holdLive(a.socket, 'c');
    t.hub.follow(a.socket, 'c', { type: 'group', role: 'member' });
    expect(a.topics.has(chatTopic('c'))).to.equal(false);
    t.hub.rejoinLive(a.socket, 'c', () => false);
    expect(a.topics.has(chatTopic('c'))).to.equal(true);

    t.hub.holdLive(a.socket, 'c');
    t.hub.unfollow(a.socket, 'c');
    t.hub.rejoinLive(a.socket, 'c', () => false);
    expect(a.topics.has(chatTopic('c'))).to.equal(false);
    t.typing.close();
  });

  it('releases everything of a closed socket', () => {
    const t = setup();
    const a = t.connect('alice', [
      ['c1', 'group'],
      ['c2', 'group'],
    ]);
    t.hub.holdLive(a.socket, 'c1');
    a.socket.getUserData().typingIn.add('c2');
    t.typing.set(a.socket.getUserData().connectionId, 'alice', 'c2', true);
    a.socket.getUserData().closed = true;
    t.sockets.remove(a.socket);
    t.hub.release(a.socket);
    expect(t.nats.subscriptions.size).to.equal(0);
    expect(t.hub.feed.size).to.equal(0);
    expect(a.socket.getUserData().catchingUp.size).to.equal(0);
    expect(t.typed.at(-1)).to.equal('c2:alice:false');
    t.typing.close();
  });
});
