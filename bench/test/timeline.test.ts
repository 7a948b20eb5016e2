import { expect } from 'chai';
import { LatencyHistogram } from '../src/load/latency-histogram.js';
import { SecondRecorder } from '../src/load/second-recorder.js';
import { Timeline } from '../src/load/timeline.js';
import { messageText, parseMessageText, type WorkerTick } from '../src/load/worker-protocol.js';

function tick(worker: number, second: number, delivered: number[], extra: Partial<WorkerTick> = {}): WorkerTick {
  const delivery = new LatencyHistogram();
  for (const ms of delivered) delivery.recordMs(ms);
  return {
    type: 'tick',
    worker,
    second,
    sent: delivered.length,
    acked: delivered.length,
    delivered: delivered.length,
    skipped: 0,
    errors: {},
    ack: new LatencyHistogram().snapshot(),
    delivery: delivery.snapshot(),
    held: 10,
    ...extra,
  };
}

describe('bench timeline', () => {
  it('merges ticks of several workers per second and totals a window', () => {
    const t = new Timeline(0);
    t.addTick(tick(0, 0, [1, 2]));
    t.addTick(tick(1, 0, [3], { errors: { rate_limited: 2 } }));
    t.addTick(tick(0, 1, [100]));
    t.addTick(tick(0, 2, [5]));
    const w = t.window(0, 2);
    expect(w).to.include({ seconds: 2, sent: 4, delivered: 4 });
    expect(w.errors).to.deep.equal({ rate_limited: 2 });
    expect(w.delivery.max).to.equal(100);
    const rows = t.rows();
    expect(rows.map((r) => r.delivered_per_s)).to.deep.equal([3, 1, 1]);
    expect(rows[0]).to.include({ t: 0, sockets: 20, errors: 2 });
  });

  it('keeps the latency to the last receiver of each message', () => {
    const t = new Timeline(0);
    t.addTick(tick(0, 0, [], { perMessage: { '0.1': [500, 4], '0.2': [10, 1] } }));
    t.addTick(tick(1, 1, [], { perMessage: { '0.1': [500, 9] } }));
    expect(t.perMessage.get('0.1')).to.deep.equal([1000, 9]);
    expect(t.perMessage.get('0.2')).to.deep.equal([10, 1]);
  });

  it('counts each message of interleaved runs of deliveries, and starts afresh each second and when tracking is switched', () => {
    const r = new SecondRecorder(0, 0, 0);
    r.perMessage = new Map();
    const keys = ['0.1', '0.1', '0.2', '0.1', '0.1', '0.1', '0.2', '0.3', '0.3'];
    keys.forEach((key, i) => r.recordDelivery(key, i));
    // Equal keys that are not the same string object count together.
    r.recordDelivery(['0', '3'].join('.'), 0.5);
    expect(Object.fromEntries(r.perMessage)).to.deep.equal({ '0.1': [5, 5], '0.2': [2, 6], '0.3': [3, 8] });
    const tick = r.roll(1000, () => 1)!;
    expect(tick.perMessage).to.deep.equal({ '0.1': [5, 5], '0.2': [2, 6], '0.3': [3, 8] });
    expect(tick.delivered).to.equal(10);
    // The next second starts empty: the last key's entry of the old second is not reused.
    r.recordDelivery('0.3', 1);
    expect(Object.fromEntries(r.perMessage)).to.deep.equal({ '0.3': [1, 1] });
    const replaced = new Map<string, [number, number]>();
    r.perMessage = replaced;
    r.recordDelivery('0.3', 2);
    expect(Object.fromEntries(replaced)).to.deep.equal({ '0.3': [1, 2] });
    r.perMessage = undefined;
    r.recordDelivery('0.3', 3);
    expect(Object.fromEntries(replaced)).to.deep.equal({ '0.3': [1, 2] });
    expect(r.roll(2000, () => 1)).to.not.have.property('perMessage');
  });

  it('adds coordinator samples to the rows', () => {
    const t = new Timeline(1000);
    t.sample(t.secondAt(2500), 'gateway-1_cpu_pct', 42);
    expect(t.rows()[0]).to.include({ t: 0, 'gateway-1_cpu_pct': 42 });
  });

  it('counts an event in the second it happened, however late the roll comes', () => {
    const r = new SecondRecorder(0, 0, 0);
    r.sent += 1;
    expect(r.roll(999, () => 0)).to.equal(undefined);
    const first = r.roll(1000, () => 3);
    expect(first).to.include({ second: 0, sent: 1, held: 3 });
    r.sent += 2;
    expect(r.roll(2500, () => 3)).to.include({ second: 1, sent: 2 });
  });

  it('carries the send time and key in the message text', () => {
    const text = messageText(1234.5678, '3.77', 100);
    expect(text).to.have.length(100);
    expect(parseMessageText(text)).to.deep.equal({ sentAtMs: 1234.568, key: '3.77' });
    expect(parseMessageText('hello')).to.equal(undefined);
    expect(parseMessageText('abc|k|')).to.equal(undefined);
  });
});
