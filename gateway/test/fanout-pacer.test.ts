import { expect } from 'chai';
import { FanOutPacer } from '../src/fanout-pacer.js';
import { ManualClock } from './support/manual-clock.js';

function setup(intervalMs = 10, minFollowers = 100) {
  const clock = new ManualClock();
  const sent: Array<{ chat: string; events: number[] }> = [];
  const pacer = new FanOutPacer<number>({ intervalMs, minFollowers }, (chat, events) => sent.push({ chat, events: [...events] }), clock);
  return { clock, sent, pacer };
}

describe('gateway fan-out pacer (no servers)', () => {
  it('sends an event of a quiet busy chat at once, and what comes within the interval together at its end', () => {
    const t = setup();
    expect(t.pacer.offer('c1', 500, 1)).to.equal(false);
    expect(t.sent).to.deep.equal([{ chat: 'c1', events: [1] }]);
    t.clock.advance(3);
    expect(t.pacer.offer('c1', 500, 2)).to.equal(true);
    t.clock.advance(2);
    expect(t.pacer.offer('c1', 500, 3)).to.equal(true);
    expect(t.sent, 'nothing more before the interval ends').to.have.length(1);
    t.clock.advance(4);
    expect(t.sent).to.have.length(1);
    t.clock.advance(1);
    expect(t.sent[1], 'both waiting events in one send, in order, 10 ms after the first').to.deep.equal({ chat: 'c1', events: [2, 3] });
    expect(t.pacer.held).to.equal(2);
    expect(t.pacer.waitingChats).to.equal(0);
  });

  it('spaces a steady stream one interval apart and loses nothing', () => {
    const t = setup(10);
    const offered: number[] = [];
    for (let i = 0; i < 100; i++) {
      t.pacer.offer('c1', 1000, i);
      offered.push(i);
      t.clock.advance(3);
    }
    t.clock.advance(10);
    expect(
      t.sent.flatMap((s) => s.events),
      'every event once, in order',
    ).to.deep.equal(offered);
    expect(t.sent.length, 'about one send per 10 ms over 300 ms').to.be.within(30, 32);
  });

  it('never holds a chat with fewer followers than the minimum, nor anything with interval 0', () => {
    const small = setup(10, 100);
    for (let i = 0; i < 5; i++) expect(small.pacer.offer('c1', 99, i)).to.equal(false);
    expect(small.sent).to.have.length(5);
    const off = setup(0, 2);
    for (let i = 0; i < 5; i++) expect(off.pacer.offer('c1', 10_000, i)).to.equal(false);
    expect(off.sent).to.have.length(5);
    expect(off.clock.pending).to.equal(0);
  });

  it('keeps a chat in order when it shrinks below the minimum while events wait', () => {
    const t = setup(10, 100);
    t.pacer.offer('c1', 200, 1);
    t.pacer.offer('c1', 200, 2);
    expect(t.pacer.offer('c1', 5, 3), 'queued behind what waits, though small now').to.equal(true);
    t.clock.advance(10);
    expect(t.sent.flatMap((s) => s.events)).to.deep.equal([1, 2, 3]);
  });

  it('paces each chat on its own clock', () => {
    const t = setup(10);
    t.pacer.offer('a', 500, 1);
    t.clock.advance(4);
    t.pacer.offer('b', 500, 10);
    t.pacer.offer('a', 500, 2);
    t.pacer.offer('b', 500, 11);
    expect(t.sent).to.deep.equal([
      { chat: 'a', events: [1] },
      { chat: 'b', events: [10] },
    ]);
    t.clock.advance(6);
    expect(t.sent[2]).to.deep.equal({ chat: 'a', events: [2] });
    t.clock.advance(4);
    expect(t.sent[3]).to.deep.equal({ chat: 'b', events: [11] });
  });

  it('drains a chat on demand (its timer is cancelled) and everything at shutdown', () => {
    const t = setup(10);
    t.pacer.offer('a', 500, 1);
    t.pacer.offer('a', 500, 2);
    t.pacer.offer('b', 500, 10);
    t.pacer.offer('b', 500, 11);
    t.pacer.drain('a');
    expect(t.sent.at(-1)).to.deep.equal({ chat: 'a', events: [2] });
    t.pacer.drain('a');
    expect(t.sent, 'nothing waits for a any more').to.have.length(3);
    t.pacer.drainAll();
    expect(t.sent.at(-1)).to.deep.equal({ chat: 'b', events: [11] });
    t.clock.advance(100);
    expect(t.sent, 'cancelled timers send nothing twice').to.have.length(4);
    // A drain starts a new interval: the next event waits for it.
    expect(t.pacer.offer('a', 500, 3)).to.equal(false);
  });

  it('counts a drained send as the start of the chat’s next interval', () => {
    const t = setup(10);
    t.pacer.offer('a', 500, 1);
    t.clock.advance(5);
    t.pacer.offer('a', 500, 2);
    t.pacer.drain('a');
    t.clock.advance(5);
    expect(t.pacer.offer('a', 500, 3), '5 ms after the drain').to.equal(true);
    t.clock.advance(5);
    expect(t.sent.flatMap((s) => s.events)).to.deep.equal([1, 2, 3]);
  });

  it('forgets chats whose interval is over, so the bookkeeping stays as small as the busy set', () => {
    const t = setup(10);
    for (let i = 0; i < 1000; i++) t.pacer.offer(`c${i}`, 500, i);
    t.clock.advance(2000);
    t.pacer.offer('late', 500, 1);
    expect((t.pacer as unknown as { lastSent: Map<string, number> }).lastSent.size).to.equal(1);
    // A forgotten chat is a quiet chat: its next event goes out at once.
    expect(t.pacer.offer('c1', 500, 2)).to.equal(false);
  });
});
