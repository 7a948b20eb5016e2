import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { signAccessToken, verifyAccessToken, bearerToken, NeonError, SigningKeys, kidOf, splitSecrets } from '@neonchat/common';

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

describe('signing keys and sessions in access tokens', () => {
  const current = 'the-current-secret-0123456789abcdef-0001';
  const previous = 'the-previous-secret-0123456789abcdef-002';
  const sid = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5c';

  it('names the signing key in `kid` and carries the session id', () => {
    const keys = new SigningKeys(current, [previous]);
    const token = signAccessToken(user, keys, 900, { sid });
    const header = jwt.decode(token, { complete: true })?.header;
    expect(header?.kid).to.equal(kidOf(current));
    const claims = verifyAccessToken(token, keys);
    expect(claims.sid).to.equal(sid);
    expect(claims.exp - claims.iat).to.equal(900);
  });

  it('accepts tokens of the previous key, and tokens from before kids, and refuses a retired key', () => {
    const rotated = new SigningKeys(current, [previous]);
    const oldToken = signAccessToken(user, new SigningKeys(previous), 60, { sid });
    expect(verifyAccessToken(oldToken, rotated).sid).to.equal(sid);
    const noKid = jwt.sign({ user_id: user.id, username: 'alice' }, previous, { algorithm: 'HS256', expiresIn: 60 });
    expect(verifyAccessToken(noKid, rotated).user_id).to.equal(user.id);
    expect(codeOf(() => verifyAccessToken(oldToken, new SigningKeys(current)))).to.equal('unauthorized');
    expect(codeOf(() => verifyAccessToken(noKid, new SigningKeys(current)))).to.equal('unauthorized');
  });

  it('refuses a kid naming a known key with another key signature, a non-string kid and a bad sid', () => {
    const keys = new SigningKeys(current, [previous]);
    const lying = jwt.sign({ user_id: user.id, username: 'a' }, 'attacker-secret-0123456789abcdef0123', {
      algorithm: 'HS256',
      expiresIn: 60,
      keyid: kidOf(current),
    });
    expect(codeOf(() => verifyAccessToken(lying, keys))).to.equal('unauthorized');
    const numericKid = jwt.sign({ user_id: user.id, username: 'a' }, current, {
      algorithm: 'HS256',
      expiresIn: 60,
      header: { alg: 'HS256', kid: 7 } as never,
    });
    expect(codeOf(() => verifyAccessToken(numericKid, keys))).to.equal('unauthorized');
    for (const bad of ['x', 'A'.repeat(1 << 20), 7, null, sid.replace('0', '\u0000')]) {
      const token = jwt.sign({ user_id: user.id, username: 'a', sid: bad }, current, {
        algorithm: 'HS256',
        expiresIn: 60,
        keyid: kidOf(current),
      });
      expect(
        codeOf(() => verifyAccessToken(token, keys)),
        String(bad).slice(0, 20),
      ).to.equal('unauthorized');
    }
    const upper = signAccessToken(user, keys, 60, { sid: sid.toUpperCase() });
    expect(verifyAccessToken(upper, keys).sid).to.equal(sid);
  });

  it('reads JWT_SECRET_PREVIOUS as a comma-separated list', () => {
    const keys = SigningKeys.fromConfig({ JWT_SECRET: current, JWT_SECRET_PREVIOUS: ` ${previous} , ,` });
    expect([...keys.all()].map((k) => k.kid)).to.deep.equal([kidOf(current), kidOf(previous)]);
    expect(splitSecrets('')).to.deep.equal([]);
  });
});
