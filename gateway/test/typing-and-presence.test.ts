import { expect } from 'chai';
import { SUBJECTS, type HeartbeatReport, type PresenceChangedEvent, type StatusReport } from '@neonchat/common';
import { waitFor } from '@neonchat/common/testing';
import { GatewayHarness, type RunningGateway } from './support/gateway-harness.js';

const decoder = new TextDecoder();

describe('gateway typing and presence @integration', () => {
  let h: GatewayHarness;
  let gw1: RunningGateway;
  let gw2: RunningGateway;

  before(async () => {
    h = await GatewayHarness.start();
    gw1 = await h.gateway({ GATEWAY_PRESENCE_HEARTBEAT_S: 1 });
    gw2 = await h.gateway();
  });

  after(async () => {
    await h?.close();
  });

  it('relays typing across gateways and sends is_typing:false 3 s after the last true', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const chatId = await h.chat('direct', [alice, bob]);
    const a = await gw1.connect(alice);
    const b = await gw2.connect(bob);
    a.send({ type: 'typing', chat_id: chatId, is_typing: true });
    const on = await b.next((f) => f.type === 'typing' && f.is_typing === true);
    expect(on).to.deep.equal({ type: 'typing', user_id: alice.id, chat_id: chatId, is_typing: true });
    // A refresh half-way re-arms the timer, without another frame to the others.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const started = Date.now();
    a.send({ type: 'typing', chat_id: chatId, is_typing: true });
    await b.next((f) => f.type === 'typing' && f.is_typing === false, 6000);
    const waited = Date.now() - started;
    expect(waited).to.be.within(2500, 4500);
    expect(b.ofType('typing')).to.have.length(2);
    expect(a.ofType('typing'), 'the typing socket does not hear itself').to.have.length(0);
  });

  it('stops typing at once when the user sends a message, and when the socket closes', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const chatId = await h.chat('direct', [alice, bob]);
    const a = await gw1.connect(alice);
    const b = await gw2.connect(bob);
    a.send({ type: 'typing', chat_id: chatId, is_typing: true });
    await b.next((f) => f.type === 'typing' && f.is_typing === true);
    a.send({ type: 'message', chat_id: chatId, text: 'done typing', request_id: 't1' });
    const off = await b.next((f) => f.type === 'typing' && f.is_typing === false, 1500);
    expect(off.user_id).to.equal(alice.id);

    a.send({ type: 'typing', chat_id: chatId, is_typing: true });
    await b.waitNew((f) => f.type === 'typing' && f.is_typing === true);
    const offAgain = b.waitNew((f) => f.type === 'typing' && f.is_typing === false, 1500);
    await a.close();
    await offAgain;
  });

  it('refuses typing where the user may not type (a channel member)', async () => {
    const [owner, reader] = [await h.user(), await h.user()];
    const channel = await h.chat('channel', [{ user: owner, role: 'admin' }, reader]);
    const r = await gw1.connect(reader);
    r.send({ type: 'typing', chat_id: channel, is_typing: true });
    expect((await r.next((f) => f.type === 'error')).code).to.equal('forbidden');
  });

  it('reports all live connections in one heartbeat message, and status changes', async () => {
    const users = await Promise.all(Array.from({ length: 3 }, () => h.user()));
    const opened = await Promise.all(users.map((u) => gw1.connect(u)));
    const heartbeats: HeartbeatReport[] = [];
    const statuses: StatusReport[] = [];
    const sub = h.nc.subscribe(SUBJECTS.presenceReportsWildcard, {
      callback: (_err, msg) => {
        const body = JSON.parse(decoder.decode(msg.data)) as HeartbeatReport & StatusReport;
        if (msg.subject === SUBJECTS.presenceHeartbeat && body.gateway_id === gw1.gateway.id) heartbeats.push(body);
        if (msg.subject === SUBJECTS.presenceStatus) statuses.push(body);
      },
    });
    try {
      const beat = await waitFor(() => heartbeats[0], { what: 'a heartbeat', timeoutMs: 5000 });
      const reported = beat.connections.map((c) => c.user_id);
      for (const u of users) expect(reported).to.include(u.id);
      expect(beat.connections).to.have.length(gw1.gateway.connectionCount);
      opened[0]!.send({ type: 'presence', status: 'away' });
      const status = await waitFor(() => statuses.find((s) => s.user_id === users[0]!.id));
      expect(status).to.include({ status: 'away', gateway_id: gw1.gateway.id });
    } finally {
      sub.unsubscribe();
    }
  });

  it('delivers presence transitions only to users who share a chat with that user', async () => {
    const [alice, bob, carol, stranger] = [await h.user(), await h.user(), await h.user(), await h.user()];
    await h.chat('direct', [alice, bob]);
    await h.chat('group', [alice, carol]);
    const b = await gw1.connect(bob);
    const c = await gw2.connect(carol);
    const s = await gw1.connect(stranger);
    const event: PresenceChangedEvent = {
      type: 'presence.changed',
      user_id: alice.id,
      status: 'online',
      event: 'user_online',
      last_seen: Date.now(),
      at: Date.now(),
    };
    // The member lists load right after connect; publish until they are in.
    await waitFor(
      async () => {
        h.nc.publish(SUBJECTS.presenceChanged(alice.id), JSON.stringify(event));
        await h.nc.flush();
        return b.ofType('presence').length > 0 && c.ofType('presence').length > 0;
      },
      { intervalMs: 100, what: 'presence frames' },
    );
    expect(b.ofType('presence')[0]).to.deep.equal({
      type: 'presence',
      event: 'user_online',
      user_id: alice.id,
      timestamp: Math.floor(event.at / 1000),
    });
    s.send({ type: 'ping', request_id: 'x' });
    await s.next((f) => f.type === 'pong');
    expect(s.ofType('presence')).to.have.length(0);
  });
});
