import { expect } from 'chai';
import { isoTimestamp, uuidv7, uuidv7Time } from '@neonchat/common';

describe('uuidv7', () => {
  it('makes RFC 9562 version 7 ids that carry their time', () => {
    const at = Date.UTC(2026, 10, 22, 10, 0, 0, 123);
    const id = uuidv7(at);
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidv7Time(id)).to.equal(at);
  });

  it('sorts by creation time', () => {
    const ids = [uuidv7(1000), uuidv7(2000), uuidv7(3000)];
    expect([...ids].sort()).to.deep.equal(ids);
  });

  it('draws fresh randomness for every id, across refills of its random pool', () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7(5000));
    expect(new Set(ids).size).to.equal(2000);
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).to.equal(true);
  });

  it('reads no time from other uuid versions', () => {
    expect(uuidv7Time('6f1c2b9e-3c1a-4b7e-9b1a-2f3e4d5c6b7a')).to.equal(undefined);
    expect(uuidv7Time('short')).to.equal(undefined);
  });

  it('isoTimestamp is Date#toISOString, across seconds, milliseconds and the edges of its cache', () => {
    const start = Date.UTC(2026, 11, 1, 23, 59, 58, 990);
    for (let t = start; t < start + 2100; t += 7) expect(isoTimestamp(t), String(t)).to.equal(new Date(t).toISOString());
    for (const t of [0, 5, 99, 100, 999, 1000, 1_700_000_000_001, 253402300799999, 253402300800000, 1.5, -1]) {
      expect(isoTimestamp(t), String(t)).to.equal(new Date(t).toISOString());
    }
    expect(Date.parse(isoTimestamp())).to.be.closeTo(Date.now(), 1000);
  });
});
