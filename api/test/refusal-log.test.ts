import { Writable } from 'node:stream';
import { expect } from 'chai';
import { ApiEnv, createLogger } from '@neonchat/common';
import { testServiceConfig } from '@neonchat/common/testing';
import { createApiService, type ApiService } from '../src/mod.js';

describe('a refused request is logged with its reason @integration', () => {
  const lines: string[] = [];
  let api: ApiService;
  before(async () => {
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    api = await createApiService(testServiceConfig(ApiEnv, { RATE_LIMIT_PER_MINUTE: 100000 }), {
      logger: createLogger('api', 'info', {}, stream),
    });
  });
  after(async () => api?.close());

  const refusals = () =>
    lines
      .map((l) => JSON.parse(l) as { msg: string; status?: number; code?: string; reason?: string })
      .filter((l) => l.msg === 'request' && (l.status ?? 0) >= 400);

  it('puts the code and message of a 4xx in its one request line, and none in a 2xx line', async () => {
    const unauthorized = await api.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(unauthorized.statusCode).to.equal(401);
    const invalid = await api.app.inject({
      method: 'GET',
      url: '/api/v1/users?query=a&limit=1000',
      headers: { authorization: 'Bearer x' },
    });
    expect(invalid.statusCode).to.be.oneOf([400, 401]);
    const ok = await api.app.inject({ method: 'GET', url: '/docs/asyncapi.json' });
    expect(ok.statusCode).to.equal(200);

    const logged = refusals();
    expect(logged[0]).to.include({ status: 401, code: 'unauthorized', reason: 'missing bearer token' });
    expect(logged).to.have.length(2);
    expect(logged[1]?.reason).to.be.a('string').and.not.equal('');
    expect(lines.join('\n')).not.to.include('Bearer x');
    const answered = lines.map((l) => JSON.parse(l) as { msg: string; status?: number; code?: string });
    expect(answered.filter((l) => l.msg === 'request')).to.have.length(3);
    expect(answered.find((l) => l.msg === 'request' && l.status === 200)).to.not.have.property('code');
  });
});
