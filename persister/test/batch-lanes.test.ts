import { expect } from 'chai';
import { BatchLanes, laneOf, type LaneClock } from '@neonchat/persister';

/** A clock moved by hand: timers fire only when the test advances time. */
class ManualClock implements LaneClock {
  private t = 0;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now(): number {
    return this.t;
  }
  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.live && x.at <= this.t)) {
      timer.live = false;
      timer.fn();
    }
    this.timers = this.timers.filter((x) => x.live);
  }
}

type Item = { chat: string; n: number };

/** A writer whose batches finish when the test says so. */
function recorder() {
  const batches: Item[][] = [];
  const pending: Array<() => void> = [];
  const write = (batch: Item[]) =>
    new Promise<void>((resolve) => {
      batches.push(batch);
      pending.push(resolve);
    });
  const finishAll = async () => {
    for (const done of pending.splice(0)) done();
    await new Promise((r) => setImmediate(r));
  };
  return { batches, write, finishAll };
}

const settle = () => new Promise((r) => setImmediate(r));

/** Lanes keyed by chat over a recorder, on a manual clock: the set-up most tests share. */
function recordedLanes(settings: ConstructorParameters<typeof BatchLanes<Item>>[0]) {
  const clock = new ManualClock();
  const rec = recorder();
  const lanes = new BatchLanes<Item>(
    settings,
    (i) => i.chat,
    rec.write,
    () => undefined,
    clock,
  );
  return { clock, rec, lanes };
}

describe('persister batch lanes', () => {
  it('cuts a batch when it is full, without waiting', () => {
    const { rec, lanes } = recordedLanes({ lanes: 1, batchSize: 3, batchWaitMs: 50 });
    for (let n = 0; n < 3; n++) lanes.add({ chat: 'a', n });
    expect(rec.batches.map((b) => b.map((i) => i.n))).to.deep.equal([[0, 1, 2]]);
    expect(lanes.writing).to.equal(1);
  });

  it('cuts a partial batch once its oldest item waited the batch wait', () => {
    const { clock, rec, lanes } = recordedLanes({ lanes: 1, batchSize: 100, batchWaitMs: 50 });
    lanes.add({ chat: 'a', n: 1 });
    lanes.add({ chat: 'a', n: 2 });
    clock.advance(49);
    expect(rec.batches).to.have.length(0);
    expect(lanes.buffered).to.equal(2);
    clock.advance(1);
    expect(rec.batches.map((b) => b.map((i) => i.n))).to.deep.equal([[1, 2]]);
  });

  it('writes one batch at a time per lane, in arrival order, and a chat always in the same lane', async () => {
    const { rec, lanes } = recordedLanes({ lanes: 4, batchSize: 2, batchWaitMs: 10 });
    for (let n = 0; n < 6; n++) lanes.add({ chat: 'chat-x', n });
    expect(rec.batches.map((b) => b.map((i) => i.n))).to.deep.equal([[0, 1]]);
    await rec.finishAll();
    expect(rec.batches.map((b) => b.map((i) => i.n))).to.deep.equal([
      [0, 1],
      [2, 3],
    ]);
    await rec.finishAll();
    await rec.finishAll();
    expect(rec.batches.flat().map((i) => i.n)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(laneOf('chat-x', 4)).to.equal(laneOf('chat-x', 4));
  });

  it('writes different lanes concurrently', () => {
    const { lanes } = recordedLanes({ lanes: 8, batchSize: 1, batchWaitMs: 10 });
    const chats = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const chat of chats) lanes.add({ chat, n: 0 });
    const distinctLanes = new Set(chats.map((c) => laneOf(c, 8))).size;
    expect(lanes.writing).to.equal(distinctLanes);
  });

  it('holds batches back while paused, hands back what waited, and resumes on time', async () => {
    const { clock, rec, lanes } = recordedLanes({ lanes: 1, batchSize: 3, batchWaitMs: 10 });
    lanes.add({ chat: 'a', n: 0 });
    lanes.add({ chat: 'a', n: 1 });
    const handedBack = lanes.pauseUntil(clock.now() + 100);
    expect(handedBack.map((i) => i.n)).to.deep.equal([0, 1]);
    for (let n = 2; n < 5; n++) lanes.add({ chat: 'a', n });
    clock.advance(99);
    expect(rec.batches, 'a full lane waits out the pause too').to.have.length(0);
    clock.advance(1);
    expect(rec.batches.map((b) => b.map((i) => i.n))).to.deep.equal([[2, 3, 4]]);
  });

  it('flushes everything on close, due or not, paused or not, and waits for the writes', async () => {
    const clock = new ManualClock();
    const written: number[] = [];
    const lanes = new BatchLanes<Item>(
      { lanes: 2, batchSize: 100, batchWaitMs: 1000 },
      (i) => i.chat,
      async (batch) => {
        await settle();
        written.push(...batch.map((i) => i.n));
      },
      () => undefined,
      clock,
    );
    for (let n = 0; n < 10; n++) lanes.add({ chat: `c${n % 3}`, n });
    lanes.pauseUntil(clock.now() + 10_000).forEach((i) => lanes.add(i));
    await lanes.flush();
    expect(written.sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(lanes.buffered + lanes.writing).to.equal(0);
  });

  /** Chat names that take distinct lanes out of `lanes`. */
  function chatsInDistinctLanes(count: number, lanes: number): string[] {
    const byLane = new Map<number, string>();
    for (let i = 0; byLane.size < count; i++)
      if (!byLane.has(laneOf(`chat-${i}`, lanes))) byLane.set(laneOf(`chat-${i}`, lanes), `chat-${i}`);
    return [...byLane.values()];
  }

  it('a due batch takes along what waits in the other idle lanes, which then stay out of other batches until it is written', async () => {
    const { clock, rec, lanes } = recordedLanes({ lanes: 3, batchSize: 100, batchWaitMs: 50 });
    const [a, b, c] = chatsInDistinctLanes(3, 3) as [string, string, string];
    lanes.add({ chat: a, n: 0 });
    clock.advance(20);
    lanes.add({ chat: b, n: 1 });
    lanes.add({ chat: c, n: 2 });
    lanes.add({ chat: b, n: 3 });
    clock.advance(30);
    expect(rec.batches, 'one transaction, not one per lane').to.have.length(1);
    expect(rec.batches[0]!.map((i) => i.n).sort()).to.deep.equal([0, 1, 2, 3]);
    expect(
      rec.batches[0]!.filter((i) => i.chat === b).map((i) => i.n),
      'a chat keeps its order',
    ).to.deep.equal([1, 3]);
    expect(lanes.writing).to.equal(1);

    lanes.add({ chat: b, n: 4 });
    clock.advance(100);
    expect(rec.batches, "b's lane is in the batch being written: nothing else of it starts").to.have.length(1);
    await rec.finishAll();
    expect(rec.batches.slice(1).map((x) => x.map((i) => i.n))).to.deep.equal([[4]]);
  });

  it('a full batch takes nothing along; a batch takes along only whole lanes that fit', async () => {
    const { clock, rec, lanes } = recordedLanes({ lanes: 2, batchSize: 4, batchWaitMs: 50 });
    const [a, b] = chatsInDistinctLanes(2, 2) as [string, string];
    lanes.add({ chat: b, n: 10 });
    for (let n = 0; n < 4; n++) lanes.add({ chat: a, n });
    expect(
      rec.batches.map((x) => x.map((i) => i.n)),
      'full: written alone, at once',
    ).to.deep.equal([[0, 1, 2, 3]]);
    expect(lanes.buffered).to.equal(1);
    await rec.finishAll();

    lanes.add({ chat: b, n: 11 });
    lanes.add({ chat: b, n: 12 });
    clock.advance(10);
    lanes.add({ chat: a, n: 4 });
    lanes.add({ chat: a, n: 5 });
    clock.advance(40);
    // b's oldest item is due; a's two items do not fit in the one place left: they wait for their own turn.
    expect(rec.batches.slice(1).map((x) => x.map((i) => i.n))).to.deep.equal([[10, 11, 12]]);
    clock.advance(9);
    expect(rec.batches).to.have.length(2);
    clock.advance(1);
    expect(rec.batches.slice(2).map((x) => x.map((i) => i.n))).to.deep.equal([[4, 5]]);
  });

  it('while a batch is being written, a due lane goes on its own and takes nothing along (a backlog writes concurrently)', () => {
    const { clock, rec, lanes } = recordedLanes({ lanes: 3, batchSize: 3, batchWaitMs: 50 });
    const [a, b, c] = chatsInDistinctLanes(3, 3) as [string, string, string];
    for (let n = 0; n < 3; n++) lanes.add({ chat: a, n });
    lanes.add({ chat: b, n: 10 });
    lanes.add({ chat: c, n: 20 });
    expect(rec.batches.map((x) => x.map((i) => i.n))).to.deep.equal([[0, 1, 2]]);
    clock.advance(50);
    expect(rec.batches, "b and c are due: each its own batch, beside a's").to.have.length(3);
    expect(
      rec.batches
        .slice(1)
        .map((x) => x.map((i) => i.n))
        .sort(),
    ).to.deep.equal([[10], [20]]);
    expect(lanes.writing).to.equal(3);
  });

  it('reports a writer that throws and carries on', async () => {
    const clock = new ManualClock();
    const crashes: number[] = [];
    let calls = 0;
    const lanes = new BatchLanes<Item>(
      { lanes: 1, batchSize: 1, batchWaitMs: 10 },
      (i) => i.chat,
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('bug');
      },
      (_err, size) => crashes.push(size),
      clock,
    );
    lanes.add({ chat: 'a', n: 0 });
    lanes.add({ chat: 'a', n: 1 });
    await lanes.flush();
    expect(crashes).to.deep.equal([1]);
    expect(calls).to.equal(2);
  });
});
