import { expect } from 'chai';
import { Registry } from 'prom-client';
import { TallyCounter } from '@neonchat/common';

describe('TallyCounter', () => {
  it('adds its tallies to the counter at each scrape, per label value, without losing or repeating any', async () => {
    const registry = new Registry();
    const frames = new TallyCounter({ name: 'test_frames_total', help: 'frames', label: 'type', registry });
    frames.inc({ type: 'message' });
    frames.inc({ type: 'message' });
    frames.inc({ type: 'ping' }, 5);
    const first = await registry.getSingleMetricAsString('test_frames_total');
    expect(first).to.include('test_frames_total{type="message"} 2');
    expect(first).to.include('test_frames_total{type="ping"} 5');
    // A second scrape with nothing new says the same; more counts add up.
    expect(await registry.getSingleMetricAsString('test_frames_total')).to.equal(first);
    frames.inc({ type: 'message' }, 3);
    const values = (await frames.counter.get()).values.map((v) => [v.labels.type, v.value]);
    expect(values).to.deep.include.members([
      ['message', 5],
      ['ping', 5],
    ]);
  });
});
