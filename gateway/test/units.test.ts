import { expect } from 'chai';
import { TokenBucket } from '../src/rate-limit.js';
import { TokenExpiry } from '../src/token-expiry.js';
import { TypingTracker } from '../src/typing-tracker.js';
import { PresenceIndex } from '../src/presence-index.js';
import { waitFor } from '@neonchat/common/testing';

describe('gateway units', () => {
  it('token bucket: a burst, then the sustained rate, then persistent refusals', () => {
    const bucket = new TokenBucket(10, 5, 0);
    const taken = Array.from({ length: 8 }, () => bucket.take(0)).filter(Boolean).length;
    expect(taken).to.equal(5);
    expect(bucket.take(50)).to.equal(false);
    expect(bucket.take(100)).to.equal(true);
    const verdicts = Array.from({ length: 6 }, () => bucket.refusedTooOften(200));
    expect(verdicts).to.deep.equal([false, false, false, false, false, true]);
    expect(bucket.refusedTooOften(20_000), 'a new window starts over').to.equal(false);
  });

  it('token expiry: pops due sockets once, forgets closed ones', () => {
    const expired: string[] = [];
    const expiry = new TokenExpiry<string>((s) => expired.push(s));
    try {
      const now = Math.floor(Date.now() / 1000);
      expiry.track('a', now + 1);
      expiry.track('b', now + 2);
      expiry.track('c', now + 2);
      expiry.forget('c');
      expiry.tick(now + 1);
      expect(expired).to.deep.equal(['a']);
      expiry.tick(now + 5);
      expiry.tick(now + 6);
      expect(expired).to.deep.equal(['a', 'b']);
    } finally {
      expiry.close();
    }
  });

  it('typing tracker: publishes transitions only and stops on demand', () => {
    const published: string[] = [];
    const typing = new TypingTracker((chat, user, on) => published.push(`${chat}:${user}:${on}`), 60_000);
    try {
      typing.set('c1', 'u1', 'chat', true);
      typing.set('c1', 'u1', 'chat', true);
      expect(published).to.deep.equal(['chat:u1:true']);
      typing.stop('c1', 'chat');
      typing.stop('c1', 'chat');
      expect(published).to.deep.equal(['chat:u1:true', 'chat:u1:false']);
      typing.set('c1', 'u1', 'chat', false);
      expect(published).to.have.length(2);
    } finally {
      typing.close();
    }
  });

  it('presence index: recipients are local users sharing a direct or group chat', async () => {
    const index = new PresenceIndex(
      async (ids) => new Map(ids.map((id) => [id, id === 'g' ? ['alice', 'bob', 'carol'] : ['alice', 'dave']])),
      () => undefined,
    );
    index.follow('bob', [['g', 'group']]);
    index.follow('dave', [
      ['d', 'direct'],
      ['ch', 'channel'],
    ]);
    await waitFor(() => index.recipientsOf('alice').size === 2);
    expect([...index.recipientsOf('alice')].sort()).to.deep.equal(['bob', 'dave']);
    expect([...index.recipientsOf('carol')]).to.deep.equal(['bob']);
    index.memberChanged('g', 'carol', false);
    expect(index.recipientsOf('carol').size).to.equal(0);
    index.unfollow('bob', 'g');
    expect([...index.recipientsOf('alice')]).to.deep.equal(['dave']);
  });
});
