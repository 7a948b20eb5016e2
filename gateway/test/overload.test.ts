import { expect } from 'chai';
import { isNeonError } from '@neonchat/common';
import { Outbound } from '../src/outbound.js';
import { OverloadGuard, type OverloadSettings } from '../src/overload-guard.js';
import { PublishAdmission, checkOverloadSettings, overBudget, probeAction } from '../src/overload-policy.js';
import { SocketRegistry } from '../src/socket-registry.js';
import { FakeApp, FakeSocket, silentLogger, socketState, testMetrics } from './support/fakes.js';

/** Publishes in flight as a publisher keeps them: the times they were made, oldest first. */
class FakePublishes {
  readonly at: number[] = [];
  get inFlight(): number {
    return this.at.length;
  }
  oldestInFlightAt(): number | undefined {
    return this.at[0];
  }
}

/** A fake socket that records pings and buffers what the test says. */
class ProbedSocket extends FakeSocket {
  readonly pings: string[] = [];
  buffered = 0;
  ping(message: string): number {
    this.pings.push(message);
    return 1;
  }
  override getBufferedAmount(): number {
    return this.buffered;
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe('overload policy', () => {
  it('pings a socket without a probe, waits within the limit, closes past it, never closes when off', () => {
    expect(probeAction(undefined, 1000, 2000)).to.equal('ping');
    expect(probeAction(1000, 2999, 2000)).to.equal('wait');
    expect(probeAction(1000, 3000, 2000)).to.equal('wait');
    expect(probeAction(1000, 3001, 2000)).to.equal('close');
    expect(probeAction(1000, 1_000_000, 0)).to.equal('wait');
  });

  it('closes the largest buffers first, only as many as bring the total under the budget', () => {
    const held = [
      { id: 'a', buffered: 100 },
      { id: 'b', buffered: 700 },
      { id: 'c', buffered: 300 },
      { id: 'd', buffered: 400 },
    ];
    expect(overBudget(held, 1500, 2000)).to.deep.equal([]);
    expect(overBudget(held, 1500, 1000).map((h) => h.id)).to.deep.equal(['b']);
    expect(overBudget(held, 1500, 500).map((h) => h.id)).to.deep.equal(['b', 'd']);
    expect(overBudget(held, 1500, 0)).to.deep.equal([]);
    // The caller's order is left alone.
    expect(held.map((h) => h.id)).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('admits sends until too many wait, and again once they are answered', () => {
    const publishes = new FakePublishes();
    const admission = new PublishAdmission({ maxPublishesInFlight: 2, shedAckAgeMs: 0, shedLoopDelayMs: 0 }, publishes);
    expect(admission.shedReason(0)).to.equal(undefined);
    publishes.at.push(0, 0);
    expect(admission.size).to.equal(2);
    expect(admission.shedReason(0)).to.equal('publishes_in_flight');
    publishes.at.shift();
    expect(admission.size).to.equal(1);
    expect(admission.shedReason(0)).to.equal(undefined);
  });

  it('refuses sends while the oldest publish in flight is older than the limit', () => {
    const publishes = new FakePublishes();
    const admission = new PublishAdmission({ maxPublishesInFlight: 0, shedAckAgeMs: 1000, shedLoopDelayMs: 0 }, publishes);
    expect(admission.oldestAge(5000)).to.equal(0);
    publishes.at.push(0, 900);
    expect(admission.oldestAge(1000)).to.equal(1000);
    expect(admission.shedReason(1000)).to.equal(undefined);
    expect(admission.shedReason(1001)).to.equal('ack_age');
    publishes.at.shift();
    // The younger one is now the oldest.
    expect(admission.oldestAge(1001)).to.equal(101);
    expect(admission.shedReason(1001)).to.equal(undefined);
  });

  it('refuses sends while the event loop is behind', () => {
    const admission = new PublishAdmission({ maxPublishesInFlight: 0, shedAckAgeMs: 0, shedLoopDelayMs: 200 }, new FakePublishes());
    admission.loopDelay = 150;
    expect(admission.shedReason(0)).to.equal(undefined);
    admission.loopDelay = 250;
    expect(admission.shedReason(0)).to.equal('event_loop');
    const off = new PublishAdmission({ maxPublishesInFlight: 0, shedAckAgeMs: 0, shedLoopDelayMs: 0 }, new FakePublishes());
    off.loopDelay = 10_000;
    expect(off.shedReason(0)).to.equal(undefined);
  });

  it('refuses an ack-age limit at or above the publish timeout, naming both variables', () => {
    expect(() => checkOverloadSettings({ publishTimeoutMs: 5000, shedAckAgeMs: 5000 })).to.throw(
      /GATEWAY_SHED_ACK_AGE_MS.*GATEWAY_PUBLISH_TIMEOUT_MS/,
    );
    expect(() => checkOverloadSettings({ publishTimeoutMs: 5000, shedAckAgeMs: 4999 })).not.to.throw();
    expect(() => checkOverloadSettings({ publishTimeoutMs: 100, shedAckAgeMs: 0 })).not.to.throw();
  });
});

describe('overload guard', () => {
  const settings: OverloadSettings = {
    slowSocketMs: 1000,
    probeIntervalMs: 100,
    probeMinBytes: 500,
    maxBufferedTotalBytes: 1000,
    shedAckAgeMs: 0,
    shedLoopDelayMs: 0,
    maxPublishesInFlight: 1,
  };

  function setup() {
    const app = new FakeApp();
    const sockets = new SocketRegistry();
    const metrics = testMetrics();
    const outbound = new Outbound(sockets, 1024 * 1024, metrics, silentLogger);
    let now = 0;
    const publishes = new FakePublishes();
    const guard = new OverloadGuard(settings, sockets, outbound, metrics, publishes, () => now);
    /** A probe round at `at`, and its decision after the loop turn's reads. */
    const round = async (at: number) => {
      now = at;
      guard.tick(at);
      await settle();
    };
    const connect = (userId: string, chatId: string) => {
      const ws = new ProbedSocket(socketState(userId, [[chatId, 'group']], { admitted: true, ready: true }), app);
      sockets.add(ws.socket);
      sockets.follow(ws.socket, chatId);
      return ws;
    };
    const closes = async (reason: string) =>
      (await metrics.slowConsumerCloses.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
    return { guard, outbound, metrics, publishes, connect, closes, round };
  }

  it('probes the followers of chats fanned out to, and closes only the one that does not answer in time', async () => {
    const { guard, outbound, connect, closes, round } = setup();
    const quick = connect('u1', 'c1');
    const stalled = connect('u2', 'c1');
    const elsewhere = connect('u3', 'c2');
    outbound.noteFanOut('c1', 500);
    await round(0);
    expect(quick.pings).to.have.length(1);
    expect(stalled.pings).to.have.length(1);
    expect(elsewhere.pings, 'no fan-out in its chat: not probed').to.have.length(0);
    // A quiet chat (under probeMinBytes in the round, however many frames) is not probed.
    outbound.noteFanOut('c2', 200);
    outbound.noteFanOut('c2', 200);
    await round(50);
    expect(elsewhere.pings, 'under probeMinBytes').to.have.length(0);

    // The quick one answers with the token; an empty pong (uWS's idle ping) answers nothing.
    guard.pong(stalled.socket, new ArrayBuffer(0));
    guard.pong(quick.socket, new TextEncoder().encode(quick.pings[0]).buffer);
    outbound.noteFanOut('c1', 500);
    await round(100);
    expect(quick.pings, 'answered: probed again').to.have.length(2);
    expect(stalled.pings, 'still unanswered: not probed twice').to.have.length(1);
    await round(1000);
    expect(stalled.ended).to.equal(undefined);

    // No fan-out any more: the unanswered probe is still watched, and runs out.
    await round(1001);
    expect(stalled.ended?.code).to.equal(4008);
    expect(quick.ended, 'its probe of 100 is unanswered for 901 ms, not more').to.equal(undefined);
    expect(elsewhere.ended).to.equal(undefined);
    expect(await closes('lagging')).to.equal(1);
  });

  it('decides after the loop turn: a pong read after a late round saves the socket', async () => {
    const { guard, outbound, connect, closes } = setup();
    const late = connect('u1', 'c1');
    const silent = connect('u2', 'c1');
    outbound.noteFanOut('c1', 500);
    guard.tick(0);
    await settle();
    // The gateway stalls 5 s; its next round runs before the pong waiting in the kernel is read.
    guard.tick(5000);
    expect(late.ended, 'not decided inside the timer').to.equal(undefined);
    guard.pong(late.socket, new TextEncoder().encode(late.pings[0]).buffer);
    guard.closeLagging(5000);
    expect(late.ended).to.equal(undefined);
    expect(silent.ended?.code).to.equal(4008);
    expect(await closes('lagging')).to.equal(1);
  });

  it('closes the sockets holding the most once the buffered total passes the bound', async () => {
    const { guard, outbound, connect, closes, metrics } = setup();
    const small = connect('u1', 'c1');
    const big = connect('u2', 'c1');
    const middle = connect('u3', 'c1');
    small.buffered = 100;
    big.buffered = 600;
    middle.buffered = 400;
    outbound.noteFanOut('c1', 500);
    guard.tick(0);
    expect(big.ended?.code).to.equal(4008);
    expect(small.ended).to.equal(undefined);
    expect(middle.ended).to.equal(undefined);
    expect(await closes('gateway_buffer')).to.equal(1);
    expect((await metrics.bufferedBytes.get()).values[0]?.value).to.equal(1100);
  });

  it('answers a send `unavailable` before publishing while the gateway is behind, counted by reason', async () => {
    const { guard, metrics, publishes } = setup();
    guard.admitPublish();
    publishes.at.push(0);
    let refused: unknown;
    try {
      guard.admitPublish();
    } catch (err) {
      refused = err;
    }
    expect(isNeonError(refused) && refused.code).to.equal('unavailable');
    const shed = (await metrics.sendsShed.get()).values.find((v) => v.labels.reason === 'publishes_in_flight');
    expect(shed?.value).to.equal(1);
    publishes.at.shift();
    expect(() => guard.admitPublish()).not.to.throw();
  });
});
