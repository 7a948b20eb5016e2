import { expect } from 'chai';
import { classifyWriteFailure, retryDelayMs } from '@neonchat/persister';

describe('write failures', () => {
  it('treats lost connections and passing refusals as PostgreSQL being unavailable', () => {
    expect(classifyWriteFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).to.equal(
      'unavailable',
    );
    expect(classifyWriteFailure(new Error('Connection terminated unexpectedly'))).to.equal('unavailable');
    for (const code of ['57P01', '57P03', '08006', '40P01', '40001', '53300']) {
      expect(classifyWriteFailure(Object.assign(new Error(code), { code })), code).to.equal('unavailable');
    }
  });

  it('treats data and integrity errors as a refusal of the event itself', () => {
    for (const code of ['22021', '22P02', '23503', '23514']) {
      expect(classifyWriteFailure(Object.assign(new Error(code), { code })), code).to.equal('rejected');
    }
  });

  it('treats anything else as a failure to retry a limited number of times', () => {
    expect(classifyWriteFailure(Object.assign(new Error('undefined column'), { code: '42703' }))).to.equal('failed');
    expect(classifyWriteFailure(Object.assign(new Error('internal'), { code: 'XX000' }))).to.equal('failed');
  });

  it('doubles the retry delay from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n, 250, 10000))).to.deep.equal([250, 500, 1000, 2000, 4000, 8000, 10000]);
    expect(retryDelayMs(1000, 250, 10000)).to.equal(10000);
    expect(retryDelayMs(0, 250, 10000)).to.equal(250);
  });
});
