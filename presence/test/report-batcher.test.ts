import { expect } from 'chai';
import { ReportBatcher } from '../src/report-batcher.js';

describe('ReportBatcher', () => {
  it('applies what arrived in one turn together, in order, and splits at the maximum', async () => {
    const batches: number[][] = [];
    const batcher = new ReportBatcher<number>(
      3,
      async (items) => void batches.push(items),
      (err) => {
        throw err;
      },
    );
    for (let i = 1; i <= 7; i++) batcher.push(i);
    await batcher.drain();
    expect(batches).to.deep.equal([[1, 2, 3], [4, 5, 6], [7]]);
    batcher.push(8);
    await new Promise((resolve) => setImmediate(resolve));
    await batcher.drain();
    expect(batches.at(-1)).to.deep.equal([8]);
  });

  it('hands a failed batch to onError and keeps going', async () => {
    const failed: number[][] = [];
    const applied: number[][] = [];
    const batcher = new ReportBatcher<number>(
      10,
      async (items) => {
        if (items.includes(1)) throw new Error('redis down');
        applied.push(items);
      },
      (_err, items) => failed.push(items),
    );
    batcher.push(1);
    await batcher.drain();
    batcher.push(2);
    await batcher.drain();
    expect(failed).to.deep.equal([[1]]);
    expect(applied).to.deep.equal([[2]]);
  });
});
