/**
 * No password, bcrypt hash or token in any log line, whatever path an error takes: the api
 * runs with a logger whose output is captured, and real driver errors carrying a user row go
 * through it.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import bcrypt from 'bcryptjs';
import type { AddressInfo } from 'node:net';
import { ApiEnv, createLogger, openOrm, uuidv7 } from '@neonchat/common';
import { testEnvironment, testServiceConfig } from '@neonchat/common/testing';
import { createApiService, type ApiService } from '@neonchat/api';
import { registerAndLogin } from '../support/system.js';
import { raw } from './support.js';

/** The production logger (same redaction and serializers), writing into `lines`. */
function capturingLogger(lines: string[]) {
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return createLogger('api', 'debug', {}, stream);
}

describe('hostile input: secrets never reach the logs @integration', function () {
  this.timeout(30000);
  const lines: string[] = [];
  let api: ApiService;
  let apiUrl: string;

  before(async () => {
    api = await createApiService(testServiceConfig(ApiEnv, { RATE_LIMIT_PER_MINUTE: 100000 }), { logger: capturingLogger(lines) });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    apiUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}/api/v1`;
  });

  after(async () => {
    await api?.close();
  });

  it('logs a failed insert of a user row without its hash, and requests without their token', async () => {
    const user = await registerAndLogin(apiUrl);
    // A real driver error carrying a user row (hash included) in its message, stack and detail.
    const orm = await openOrm({ databaseUrl: testEnvironment().databaseUrl, poolMax: 1 });
    const hash = await bcrypt.hash('correct horse battery staple', 4);
    let driverError: unknown;
    try {
      await orm.em
        .getConnection()
        .execute('insert into users (id, username, password_hash, created_at, updated_at) values (?, ?, ?, now(), now())', [
          uuidv7(),
          user.username,
          hash,
        ]);
    } catch (err) {
      driverError = err;
    } finally {
      await orm.close(true);
    }
    expect(String((driverError as Error).message)).to.include(hash);
    api.logger.error({ err: driverError }, 'request failed');
    api.logger.warn({ error: driverError }, 'other key');
    api.logger.error({ err: new Error('wrapper', { cause: driverError }) }, 'wrapped');

    // Tokens in a query string and headers of requests the api logs.
    await raw('GET', `${apiUrl}/me?token=${user.token}`, { headers: { authorization: `Bearer ${user.token}` } });
    await raw('POST', `${apiUrl}/auth/login`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.username, password: 'secret-password' }),
    });
    const all = lines.join('\n');
    expect(lines.length).to.be.greaterThan(3);
    expect(all).to.not.include(hash);
    expect(all).to.not.include(hash.slice(7));
    expect(all).to.not.include(user.token);
    expect(all).to.not.include(user.token.split('.')[2]);
    expect(all).to.not.include('secret-password');
    expect(all).to.include('[redacted]');
  });
});
