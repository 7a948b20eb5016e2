import { expect } from 'chai';
import { createLogger, whileJetStreamSettles } from '@neonchat/common';

const logger = createLogger('test', 'silent');
const named = (name: string, message = name) => Object.assign(new Error(message), { name });
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );

describe('whileJetStreamSettles', () => {
  it('tries again while requests time out or nobody answers, then returns the result', async () => {
    const failures = [named('TimeoutError'), named('NoRespondersError')];
    let calls = 0;
    const result = await whileJetStreamSettles(
      'set-up',
      async () => {
        calls += 1;
        const failure = failures.shift();
        if (failure) throw failure;
        return 'ready';
      },
      { timeoutMs: 5000, logger },
    );
    expect(result).to.equal('ready');
    expect(calls).to.equal(3);
  });

  it('throws at once what is not the cluster settling', async () => {
    let calls = 0;
    const refused = whileJetStreamSettles(
      'set-up',
      async () => {
        calls += 1;
        throw new Error('stream name already in use with a different configuration');
      },
      { timeoutMs: 5000, logger },
    );
    expect(await failureOf(refused)).to.include('already in use');
    expect(calls).to.equal(1);
  });

  it('gives up once the time is over, with the last error', async () => {
    let calls = 0;
    const started = Date.now();
    const given = whileJetStreamSettles(
      'set-up',
      async () => {
        calls += 1;
        throw named('TimeoutError', `timeout ${calls}`);
      },
      { timeoutMs: 600, logger },
    );
    expect(await failureOf(given)).to.match(/^timeout \d+$/);
    expect(calls).to.be.at.least(2);
    expect(Date.now() - started).to.be.below(3000);
  });
});
