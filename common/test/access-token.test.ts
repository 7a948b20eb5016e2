import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { signAccessToken, verifyAccessToken, bearerToken, NeonError } from '@neonchat/common';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const user = { id: '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b', username: 'alice' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof NeonError ? err.code : 'not-a-neon-error';
  }
  return undefined;
}

describe('access tokens', () => {
  it('round-trips the seed claims', () => {
    const claims = verifyAccessToken(signAccessToken(user, secret, 86400), secret);
    expect(claims.user_id).to.equal(user.id);
    expect(claims.username).to.equal('alice');
    expect(claims.exp - claims.iat).to.equal(86400);
  });

  it('tells an expired token apart', () => {
    const token = jwt.sign({ user_id: user.id, username: 'alice', iat: 1000, exp: 2000 }, secret, { algorithm: 'HS256' });
    expect(codeOf(() => verifyAccessToken(token, secret))).to.equal('token_expired');
  });

  it('refuses wrong secrets, alg none and other algorithms', () => {
    expect(codeOf(() => verifyAccessToken(signAccessToken(user, 'another-secret-entirely-0123456789', 60), secret))).to.equal(
      'unauthorized',
    );
    const none = jwt.sign({ user_id: user.id, username: 'alice' }, '', { algorithm: 'none' });
    expect(codeOf(() => verifyAccessToken(none, secret))).to.equal('unauthorized');
    const hs512 = jwt.sign({ user_id: user.id, username: 'alice' }, secret, { algorithm: 'HS512' });
    expect(codeOf(() => verifyAccessToken(hs512, secret))).to.equal('unauthorized');
    expect(codeOf(() => verifyAccessToken('garbage', secret))).to.equal('unauthorized');
  });

  it('refuses a valid signature over the wrong claims', () => {
    const token = jwt.sign({ sub: user.id }, secret, { algorithm: 'HS256', expiresIn: 60 });
    expect(codeOf(() => verifyAccessToken(token, secret))).to.equal('unauthorized');
  });

  it('reads bearer headers', () => {
    expect(bearerToken('Bearer abc.def')).to.equal('abc.def');
    expect(bearerToken('bearer   xyz ')).to.equal('xyz');
    expect(bearerToken('Basic abc')).to.equal(undefined);
    expect(bearerToken(undefined)).to.equal(undefined);
  });
});
