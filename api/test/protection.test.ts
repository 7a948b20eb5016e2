import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { startHarness, type Harness } from './support/api-harness.js';

describe('protection, errors, docs and metrics @integration', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ CORS_ORIGINS: 'https://app.neonchat.example' });
  });
  after(async () => {
    await h.close();
  });

  describe('rate limit', () => {
    it('is shared by two api instances through Redis, per user, with 429 and Retry-After', async () => {
      const namespace = `test:shared:${randomUUID()}:`;
      const [one, two] = [
        await startHarness({ RATE_LIMIT_PER_MINUTE: 5 }, { rateLimitNamespace: namespace }),
        await startHarness({ RATE_LIMIT_PER_MINUTE: 5 }, { rateLimitNamespace: namespace }),
      ];
      try {
        const [me, other] = [await one.user(), await one.user()];
        const statuses: number[] = [];
        for (const api of [one, two, one, two, one]) statuses.push((await api.request('GET', '/api/v1/me', { token: me.token })).status);
        expect(statuses).to.deep.equal([200, 200, 200, 200, 200]);
        const limited = await two.request('GET', '/api/v1/me', { token: me.token });
        expect(limited.status).to.equal(429);
        expect(limited.body.error.code).to.equal('rate_limited');
        expect(Number(limited.headers['retry-after'])).to.be.within(1, 60);
        // Another user has a budget of their own.
        expect((await one.request('GET', '/api/v1/me', { token: other.token })).status).to.equal(200);
      } finally {
        await one.close();
        await two.close();
      }
    });

    it('counts by IP before authentication', async () => {
      const api = await startHarness({ RATE_LIMIT_PER_MINUTE: 2 });
      try {
        const body = { username: 'nobody_here', password: 'whatever' };
        expect((await api.request('POST', '/api/v1/auth/login', { body })).status).to.equal(401);
        expect((await api.request('POST', '/api/v1/auth/login', { body })).status).to.equal(401);
        const third = await api.request('POST', '/api/v1/auth/login', { body });
        expect(third.status).to.equal(429);
        expect(third.headers).to.have.property('retry-after');
        // Health and metrics stay reachable for probes.
        expect((await api.request('GET', '/healthz')).status).to.equal(200);
      } finally {
        await api.close();
      }
    });
  });

  describe('bad input', () => {
    it('answers malformed JSON, wrong types and unknown fields with 400 naming the field', async () => {
      const malformed = await h.request('POST', '/api/v1/auth/register', { body: '{"username": "abc", ' });
      expect(malformed.status).to.equal(400);
      expect(malformed.body.error.code).to.equal('validation_failed');

      const wrongType = await h.request('POST', '/api/v1/auth/register', { body: { username: 'abcdef', password: 1234567 } });
      expect(wrongType.status).to.equal(400);
      expect(wrongType.body.error.field).to.equal('password');

      const unknown = await h.request('POST', '/api/v1/auth/register', { body: { username: 'abcdef', password: 'secret1', admin: true } });
      expect(unknown.status).to.equal(400);
      expect(unknown.body.error.message).to.match(/additional/i);

      const me = await h.user();
      const array = await h.request('POST', '/api/v1/chats', { token: me.token, body: [] });
      expect(array.status).to.equal(400);
      const notJson = await h.request('POST', '/api/v1/chats', { token: me.token, body: 'x', headers: { 'content-type': 'text/plain' } });
      expect(notJson.status).to.be.oneOf([400, 415]);
      expect(notJson.body.error).to.have.property('code');
      const huge = await h.request('POST', '/api/v1/chats', { token: me.token, body: JSON.stringify({ name: 'x'.repeat(70_000) }) });
      expect(huge.status).to.equal(413);
      expect(huge.body.error.code).to.equal('payload_too_large');
      const noRoute = await h.request('GET', '/api/v1/nothing-here');
      expect(noRoute.status).to.equal(404);
      expect(noRoute.body.error.code).to.equal('not_found');
    });
  });

  describe('headers', () => {
    it('allows only the configured CORS origins', async () => {
      const preflight = (origin: string) =>
        h.request('OPTIONS', '/api/v1/chats', { headers: { origin, 'access-control-request-method': 'POST' } });
      const allowed = await preflight('https://app.neonchat.example');
      expect(allowed.headers['access-control-allow-origin']).to.equal('https://app.neonchat.example');
      const refused = await preflight('https://evil.example');
      expect(refused.headers).not.to.have.property('access-control-allow-origin');
    });

    it('sends security headers', async () => {
      const res = await h.request('GET', '/healthz');
      expect(res.headers['x-content-type-options']).to.equal('nosniff');
      expect(res.headers).to.have.property('strict-transport-security');
      expect(res.headers['x-frame-options']).to.equal('SAMEORIGIN');
    });
  });

  it('documents every route in the OpenAPI document, with tags and responses', async () => {
    const doc = await h.request('GET', '/docs/json');
    expect(doc.status).to.equal(200);
    const paths = doc.body.paths as Record<string, Record<string, { tags?: string[]; responses?: Record<string, unknown> }>>;
    const routes = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(routes.map((r) => r.route)).to.include.members([
      'POST /api/v1/auth/register',
      'POST /api/v1/auth/login',
      'GET /api/v1/me',
      'GET /api/v1/users',
      'POST /api/v1/chats',
      'GET /api/v1/chats',
      'GET /api/v1/chats/{chat_id}',
      'PATCH /api/v1/chats/{chat_id}',
      'POST /api/v1/chats/{chat_id}/members',
      'PATCH /api/v1/chats/{chat_id}/members/{user_id}',
      'DELETE /api/v1/chats/{chat_id}/members/{user_id}',
      'PUT /api/v1/chats/{chat_id}/bans/{user_id}',
      'DELETE /api/v1/chats/{chat_id}/bans/{user_id}',
      'POST /api/v1/chats/{chat_id}/leave',
      'GET /api/v1/chats/{chat_id}/messages',
      'PATCH /api/v1/chats/{chat_id}/messages/{message_id}',
      'DELETE /api/v1/chats/{chat_id}/messages/{message_id}',
      'POST /api/v1/chats/{chat_id}/read',
    ]);
    for (const { route, op } of routes.filter((r) => r.route.includes('/api/v1/'))) {
      expect(op.tags, route).to.have.length.greaterThan(0);
      expect(Object.keys(op.responses ?? {}), route).to.include.members(['400', '429']);
    }
    expect((await h.request('GET', '/docs')).status).to.be.oneOf([200, 302]);
  });

  it('counts requests and latency by route pattern and status on /metrics', async () => {
    const me = await h.user();
    await h.request('GET', `/api/v1/chats/${randomUUID()}`, { token: me.token });
    const metrics = await h.request('GET', '/metrics');
    expect(metrics.status).to.equal(200);
    const text = String(metrics.body);
    expect(text).to.match(/http_requests_total\{[^}]*route="\/api\/v1\/chats\/:chat_id"[^}]*status="404"[^}]*\} 1/);
    expect(text).to.match(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/chats\/:chat_id"/);
    expect(text).not.to.match(/route="\/api\/v1\/chats\/[0-9a-f]{8}-/);
  });
});
