import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { ApiEnv, assertProductionSecrets, ConfigError, signAccessToken } from '@neonchat/common';
import { TEST_JWT_SECRET, testServiceConfig } from '@neonchat/common/testing';
import { createApiService } from '../src/mod.js';
import { startHarness, uniqueName, type Harness } from './support/api-harness.js';

describe('auth @integration', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('registers, logs in by username and by phone, and answers /me with the own phone', async () => {
    const username = uniqueName('Al.ice');
    const phone = `+49${Date.now().toString().slice(-9)}${Math.floor(Math.random() * 9)}`;
    const reg = await h.request('POST', '/api/v1/auth/register', { body: { username, password: 'secret1', phone } });
    expect(reg.status).to.equal(201);
    expect(reg.body).to.have.keys(
      'id',
      'username',
      'created_at',
      'token',
      'access_token',
      'expires_in',
      'refresh_token',
      'refresh_expires_in',
      'session_id',
    );

    const byName = await h.request('POST', '/api/v1/auth/login', { body: { username: username.toUpperCase(), password: 'secret1' } });
    expect(byName.status).to.equal(200);
    expect(byName.body.expires_in).to.equal(900);
    expect(byName.body.user).to.deep.equal({ id: reg.body.id, username });

    const byPhone = await h.request('POST', '/api/v1/auth/login', { body: { phone, password: 'secret1' } });
    expect(byPhone.status).to.equal(200);

    const me = await h.request('GET', '/api/v1/me', { token: byPhone.body.token });
    expect(me.status).to.equal(200);
    expect(me.body).to.deep.include({ id: reg.body.id, username, phone });
    expect(me.body).not.to.have.property('password_hash');
  });

  it('refuses bad usernames, short passwords, duplicates and wrong passwords', async () => {
    const bad = await h.request('POST', '/api/v1/auth/register', { body: { username: 'no spaces!', password: 'secret1' } });
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.include({ code: 'validation_failed', field: 'username' });
    const short = await h.request('POST', '/api/v1/auth/register', { body: { username: uniqueName(), password: '12345' } });
    expect(short.body.error.field).to.equal('password');

    const username = uniqueName();
    expect((await h.request('POST', '/api/v1/auth/register', { body: { username, password: 'secret1' } })).status).to.equal(201);
    const dup = await h.request('POST', '/api/v1/auth/register', { body: { username: username.toUpperCase(), password: 'secret1' } });
    expect(dup.status).to.equal(409);
    expect(dup.body.error.code).to.equal('conflict');

    const phone = `+1${Date.now().toString().slice(-9)}${Math.floor(Math.random() * 9)}`;
    await h.request('POST', '/api/v1/auth/register', { body: { username: uniqueName(), password: 'secret1', phone } });
    const dupPhone = await h.request('POST', '/api/v1/auth/register', { body: { username: uniqueName(), password: 'secret1', phone } });
    expect(dupPhone.status).to.equal(409);
    expect(dupPhone.body.error.field).to.equal('phone');

    const wrong = await h.request('POST', '/api/v1/auth/login', { body: { username, password: 'not-it' } });
    expect(wrong.status).to.equal(401);
    const nobody = await h.request('POST', '/api/v1/auth/login', { body: { username: uniqueName(), password: 'secret1' } });
    expect(nobody.status).to.equal(401);
    const neither = await h.request('POST', '/api/v1/auth/login', { body: { password: 'secret1' } });
    expect(neither.status).to.equal(400);
  });

  describe('tokens', () => {
    const claims = { user_id: '0190a0a0-0000-7000-8000-000000000001', username: 'someone' };
    const refusals: Array<[string, () => string]> = [
      ['expired', () => jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, { algorithm: 'HS256' })],
      [
        'signed with another secret',
        () => jwt.sign(claims, 'another-secret-another-secret-another', { algorithm: 'HS256', expiresIn: 60 }),
      ],
      [
        'forged (payload changed after signing)',
        () => {
          const [head, , sig] = signAccessToken({ id: claims.user_id, username: 'x' }, TEST_JWT_SECRET, 60).split('.');
          const payload = Buffer.from(JSON.stringify({ ...claims, iat: 1, exp: 9999999999 })).toString('base64url');
          return `${head}.${payload}.${sig}`;
        },
      ],
      [
        'alg none',
        () => {
          const head = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
          const payload = Buffer.from(JSON.stringify({ ...claims, iat: 1, exp: 9999999999 })).toString('base64url');
          return `${head}.${payload}.`;
        },
      ],
      ['garbage', () => 'not.a.token'],
    ];
    for (const [name, token] of refusals)
      it(`answers 401 to a token ${name}`, async () => {
        const res = await h.request('GET', '/api/v1/me', { token: token() });
        expect(res.status).to.equal(401);
        expect(res.body.error.code).to.be.oneOf(['unauthorized', 'token_expired']);
      });

    it('answers 401 without a token', async () => {
      const res = await h.request('GET', '/api/v1/chats');
      expect(res.status).to.equal(401);
      expect(res.body.error.code).to.equal('unauthorized');
    });
  });

  describe('production secrets', () => {
    const prod = { NODE_ENV: 'production', BCRYPT_COST: 12 };
    it('refuses missing, short and well-known JWT secrets and cheap bcrypt in production', () => {
      expect(() => assertProductionSecrets({ ...prod, JWT_SECRET: '' })).to.throw(ConfigError, /JWT_SECRET/);
      expect(() => assertProductionSecrets({ ...prod, JWT_SECRET: 'short-secret' })).to.throw(ConfigError, /at least 32/);
      expect(() => assertProductionSecrets({ ...prod, JWT_SECRET: TEST_JWT_SECRET })).to.throw(ConfigError, /well-known/);
      expect(() => assertProductionSecrets({ ...prod, JWT_SECRET: 'a'.repeat(40) })).to.throw(ConfigError, /well-known/);
      expect(() => assertProductionSecrets({ ...prod, BCRYPT_COST: 8, JWT_SECRET: 'k3J9x!Qp2vL8zR4tW6yB1nM5cF7hD0sA' })).to.throw(
        ConfigError,
        /BCRYPT_COST/,
      );
      expect(() => assertProductionSecrets({ ...prod, JWT_SECRET: 'k3J9x!Qp2vL8zR4tW6yB1nM5cF7hD0sA' })).not.to.throw();
      expect(() => assertProductionSecrets({ NODE_ENV: 'test', JWT_SECRET: 'x', BCRYPT_COST: 4 })).not.to.throw();
    });

    it('the service factory refuses to start in production with a short secret', async () => {
      const config = testServiceConfig(ApiEnv, { NODE_ENV: 'production', JWT_SECRET: 'too-short', BCRYPT_COST: 10 });
      let failure: unknown;
      await createApiService(config).catch((err: unknown) => (failure = err));
      expect(failure).to.be.instanceOf(ConfigError);
    });
  });
});
