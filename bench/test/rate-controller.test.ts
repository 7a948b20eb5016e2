import { expect } from 'chai';
import { RateController } from '../src/load/rate-controller.js';

describe('RateController', () => {
  it('issues rate × elapsed sends, however the ticks fall', () => {
    const rc = new RateController(1000, 0, 1000);
    let issued = 0;
    for (let t = 0; t <= 2000; t += 7) issued += rc.due(t);
    issued += rc.due(2000);
    expect(issued).to.equal(2000);
    expect(rc.skipped).to.equal(0);
  });

  it('catches up after a slow tick instead of lowering the rate', () => {
    const rc = new RateController(100, 0, 100);
    expect(rc.due(10)).to.equal(1);
    expect(rc.due(500)).to.equal(49);
    expect(rc.due(510)).to.equal(1);
  });

  it('caps a burst after a stall and counts what it dropped', () => {
    const rc = new RateController(1000, 0, 50);
    expect(rc.due(1000)).to.equal(50);
    expect(rc.skipped).to.equal(950);
    // The skipped sends are not owed afterwards: the next tick is back on the schedule.
    expect(rc.due(1010)).to.equal(10);
  });

  it('re-anchors on a rate change', () => {
    const rc = new RateController(100, 0, 1000);
    expect(rc.due(1000)).to.equal(100);
    rc.setRate(1000, 1000);
    expect(rc.due(1500)).to.equal(500);
    expect(rc.rate).to.equal(1000);
  });

  it('sends nothing at rate 0 and refuses a negative rate', () => {
    const rc = new RateController(0, 0);
    expect(rc.due(10_000)).to.equal(0);
    expect(() => new RateController(-1, 0)).to.throw(RangeError);
    expect(() => rc.setRate(Number.NaN, 0)).to.throw(RangeError);
  });
});
