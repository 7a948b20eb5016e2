import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { ApiEnv, createLogger, signAccessToken, uuidv7 } from '@neonchat/common';
import { TEST_JWT_SECRET, testServiceConfig } from '@neonchat/common/testing';
import { createApiService, type ApiService } from '../src/mod.js';
import { requestIdOf } from '../src/plugins/request-context.js';

/** A logger whose JSON lines the test reads. */
function capturingLogger(): { lines: Array<Record<string, unknown>>; logger: ReturnType<typeof createLogger> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('api', 'debug', { instance: 'api-test-7' }, sink) };
}

describe('api request context: X-Request-Id, request logs, trusted proxies @integration', () => {
  describe('request ids', () => {
    it('takes a safe X-Request-Id and replaces a hostile or missing one', () => {
      expect(requestIdOf({ headers: { 'x-request-id': 'lb-1a2b.3:c_d-e' } })).to.equal('lb-1a2b.3:c_d-e');
      for (const hostile of ['a'.repeat(65), 'x y', 'id"}{"level":60', '../../etc', '', 'ü']) {
        const id = requestIdOf({ headers: { 'x-request-id': hostile } });
        expect(id, JSON.stringify(hostile)).to.not.equal(hostile);
        expect(id).to.match(/^[0-9a-f-]{36}$/);
      }
      expect(requestIdOf({ headers: { 'x-request-id': ['a', 'b'] } })).to.match(/^[0-9a-f-]{36}$/);
      expect(requestIdOf({ headers: {} })).to.match(/^[0-9a-f-]{36}$/);
    });
  });

  describe('an api instance', () => {
    let api: ApiService;
    let lines: Array<Record<string, unknown>>;

    before(async () => {
      const captured = capturingLogger();
      lines = captured.lines;
      api = await createApiService(testServiceConfig(ApiEnv, { RATE_LIMIT_PER_MINUTE: 2, API_TRUSTED_PROXIES: '10.0.0.0/8, 127.0.0.1' }), {
        logger: captured.logger,
        rateLimitNamespace: `test:${randomUUID()}:`,
      });
    });

    after(async () => {
      await api?.close();
    });

    it('returns the request id and logs one line per request with it, the user and the instance', async () => {
      const id = uuidv7();
      const username = `rc_${process.pid}_${Date.now().toString(36)}`;
      await api.orm.em.getConnection().execute('insert into users (id, username, password_hash) values (?, ?, ?)', [id, username, 'x']);
      const token = signAccessToken({ id, username }, TEST_JWT_SECRET, 600);
      const res = await api.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${token}`, 'x-request-id': 'trace-me-42', 'x-forwarded-for': '203.0.113.9' },
      });
      expect(res.statusCode).to.equal(200);
      expect(res.headers['x-request-id']).to.equal('trace-me-42');
      const line = lines.find((l) => l.req_id === 'trace-me-42' && l.msg === 'request');
      expect(line, 'the request line').to.not.equal(undefined);
      expect(line).to.include({
        level: 30,
        instance: 'api-test-7',
        service: 'api',
        user_id: id,
        status: 200,
        route: '/api/v1/me',
        ip: '203.0.113.9',
      });

      const hostile = await api.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'evil\u0007id with spaces' } });
      expect(hostile.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
      const probe = lines.find((l) => l.req_id === hostile.headers['x-request-id']);
      expect(probe, 'the probe is logged').to.not.equal(undefined);
      expect(probe!.level, 'health probes at debug, not info').to.equal(20);
      expect(
        lines.every((l) => l.instance === 'api-test-7'),
        'every line names the instance',
      ).to.equal(true);
    });

    it('rate-limits by the client address a trusted balancer forwards, not by the balancer', async () => {
      const login = (forwardedFor: string, remoteAddress = '10.1.2.3') =>
        api.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          payload: JSON.stringify({ username: 'nobody_here', password: 'whatever' }),
        });
      expect((await login('198.51.100.1')).statusCode).to.equal(401);
      expect((await login('198.51.100.1')).statusCode).to.equal(401);
      expect((await login('198.51.100.1')).statusCode, 'the third from one client').to.equal(429);
      expect((await login('198.51.100.2')).statusCode, 'another client behind the same balancer').to.equal(401);
      // From an address that is not a trusted proxy the header is ignored: its own bucket.
      const direct = (ip: string) => login(ip, '192.0.2.50');
      expect((await direct('198.51.100.3')).statusCode).to.equal(401);
      expect((await direct('198.51.100.4')).statusCode).to.equal(401);
      expect((await direct('198.51.100.5')).statusCode, 'a forged header from an untrusted peer shares the peer bucket').to.equal(429);
    });
  });
});
