/**
 * Outages are `unavailable` (503 with Retry-After), never `internal`: the api and the gateway
 * on their own PostgreSQL, NATS and Redis, each stopped in turn.
 */
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { ApiEnv, CLOSE_CODES, GatewayEnv, migrate, openOrm } from '@neonchat/common';
import {
  TestSocket,
  createDatabase,
  startNats,
  startPostgres,
  startRedis,
  testServiceConfig,
  type RunningServer,
} from '@neonchat/common/testing';
import { createApiService, type ApiService } from '@neonchat/api';
import { createGateway, type Gateway } from '@neonchat/gateway';
import { registerAndLogin } from '../support/system.js';
import { json, raw } from './support.js';

describe('hostile input: outages are unavailable, not internal @integration', function () {
  this.timeout(90000);
  let nats: RunningServer;
  let postgres: RunningServer;
  let redis: RunningServer;
  let api: ApiService | undefined;
  let gateway: Gateway | undefined;
  let apiUrl: string;

  before(async () => {
    [nats, postgres, redis] = await Promise.all([startNats(), startPostgres(), startRedis()]);
    const databaseUrl = await createDatabase(postgres.url);
    const orm = await openOrm({ databaseUrl, poolMax: 1 });
    await migrate(orm).finally(() => orm.close(true));
    const overrides = { NATS_URL: nats.url, DATABASE_URL: databaseUrl, REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: 100000 };
    api = await createApiService(testServiceConfig(ApiEnv, overrides));
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    apiUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}/api/v1`;
    gateway = await createGateway(testServiceConfig(GatewayEnv, overrides));
    await gateway.listen();
  });

  after(async () => {
    await gateway?.close();
    await api?.close();
    await Promise.all([nats, postgres, redis].map((s) => s?.stop()));
  });

  it('answers 503 unavailable with Retry-After while Redis, then PostgreSQL, then NATS are down', async () => {
    const alice = await registerAndLogin(apiUrl);
    const bob = await registerAndLogin(apiUrl);
    const chat = await json('POST', `${apiUrl}/chats`, { partner_id: bob.id }, alice.token);
    expect(chat.status).to.equal(201);
    const chatId = String(chat.body.id);
    const wsUrl = `ws://127.0.0.1:${gateway!.port}/ws`;
    const ws = await TestSocket.open(`${wsUrl}?token=${alice.token}`);
    await ws.next((f) => f.type === 'ready');
    ws.send({ type: 'message', chat_id: chatId, text: 'before', request_id: 'm0' });
    const sent = await ws.next((f) => f.request_id === 'm0');
    const messageId = (sent.message as { id: string }).id;

    // Redis down: the rate limit lets requests through (availability over strictness).
    await redis.stop();
    expect((await raw('GET', `${apiUrl}/me`, { headers: { authorization: `Bearer ${alice.token}` } })).status).to.equal(200);

    await postgres.stop();
    const auth = { authorization: `Bearer ${alice.token}` };
    const answers = [
      await raw('GET', `${apiUrl}/me`, { headers: auth }),
      await raw('GET', `${apiUrl}/chats`, { headers: auth }),
      await json('POST', `${apiUrl}/auth/login`, { username: alice.username, password: 'secret-password' }),
      await json('POST', `${apiUrl}/auth/register`, { username: `nobody_${Date.now()}`, password: 'secret-password' }),
      await json('POST', `${apiUrl}/chats`, { type: 'group', name: 'during the outage' }, alice.token),
    ];
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).to.equal(503);
      expect(answer.body.error?.code).to.equal('unavailable');
      expect(answer.headers.get('retry-after')).to.match(/^\d+$/);
    }
    // A socket opening now cannot be told its chats: closed with 1013 (try again later) before
    // `ready`, not 4003 (unknown user) and not a crash.
    expect(await TestSocket.closedBeforeReady(`${wsUrl}?token=${bob.token}`)).to.equal(CLOSE_CODES.tryAgainLater);
    // A frame needing the database on the open socket: `unavailable`, never `internal`.
    const unknownChat = '01890000-0000-7000-8000-000000000000';
    ws.send({ type: 'open', chat_id: unknownChat, request_id: 'o1' });
    expect(await ws.next((f) => f.request_id === 'o1')).to.include({ type: 'error', code: 'unavailable' });

    await nats.stop();
    const edit = await json('PATCH', `${apiUrl}/chats/${chatId}/messages/${messageId}`, { text: 'edited' }, alice.token);
    expect(edit.status).to.equal(503);
    expect(edit.body.error?.code).to.equal('unavailable');
    await ws.close();
  });
});
