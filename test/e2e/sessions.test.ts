import { expect } from 'chai';
import { CLOSE_CODES, GatewayEnv, ApiEnv } from '@neonchat/common';
import { TEST_RATE_LIMIT_PER_MINUTE, TestSocket, testServiceConfig, waitFor } from '@neonchat/common/testing';
import { createGateway, type Gateway } from '@neonchat/gateway';
import { createApiService, type ApiService } from '@neonchat/api';
import type { AddressInfo } from 'node:net';
import { startSystem, http, registerAndLogin, uniqueName, type RunningSystem } from '../support/system.js';

interface Login {
  token: string;
  refresh_token: string;
  session_id: string;
  user: { id: string };
}

async function call(method: string, url: string, token?: string, body?: unknown): Promise<number> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Issue 27's "done when", through the real api, two gateways and the persister. */
describe('sessions end to end @integration', () => {
  let system: RunningSystem;
  let second: Gateway;
  let secondUrl: string;

  before(async () => {
    system = await startSystem();
    second = await createGateway(testServiceConfig(GatewayEnv));
    await second.listen();
    secondUrl = `ws://127.0.0.1:${second.port}/ws`;
  });

  after(async () => {
    await second?.close();
    await system?.stop();
  });

  const login = async (username: string, password = 'secret-password') =>
    (await http<Login>('POST', `${system.apiUrl}/auth/login`, { username, password })).body;

  it("a logout closes the session's sockets on two gateways within 1 s (4004); its next REST call and upgrade are refused", async () => {
    const user = await registerAndLogin(system.apiUrl);
    const [ending, staying] = [await login(user.username), await login(user.username)];
    const a = await TestSocket.open(`${system.wsUrl}?token=${ending.token}`);
    const b = await TestSocket.open(`${secondUrl}?token=${ending.token}`);
    const kept = await TestSocket.open(`${secondUrl}?token=${staying.token}`);
    await Promise.all([a, b, kept].map((ws) => ws.next((f) => f.type === 'ready')));

    const started = Date.now();
    expect(await call('POST', `${system.apiUrl}/auth/logout`, ending.token)).to.equal(204);
    const codes = await Promise.all([a.waitClosed(), b.waitClosed()]);
    const elapsed = Date.now() - started;
    expect(codes).to.deep.equal([CLOSE_CODES.sessionEnded, CLOSE_CODES.sessionEnded]);
    expect(elapsed, 'ms from the logout request to both closes').to.be.below(1000);
    expect(await call('GET', `${system.apiUrl}/me`, ending.token)).to.equal(401);
    expect(await TestSocket.refusal(`${secondUrl}?token=${ending.token}`)).to.equal(401);
    kept.send({ type: 'ping' });
    await kept.next((f) => f.type === 'pong');
    // Ending the other session from elsewhere by id closes it too.
    const third = await login(user.username);
    expect(await call('DELETE', `${system.apiUrl}/me/sessions/${staying.session_id}`, third.token)).to.equal(204);
    expect(await kept.waitClosed()).to.equal(CLOSE_CODES.sessionEnded);
  });

  it("a deleted account's messages still read for the others; its sockets close and its name is free", async () => {
    const [gone, friend] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const chat = await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: friend.id }, gone.token);
    const ws = await TestSocket.open(`${system.wsUrl}?token=${gone.token}`);
    await ws.next((f) => f.type === 'ready');
    ws.send({ type: 'message', chat_id: chat.body.id, text: 'remember me', request_id: 'r-1' });
    await ws.next((f) => f.type === 'message_sent');
    expect(await call('DELETE', `${system.apiUrl}/me`, gone.token, { password: 'secret-password' })).to.equal(204);
    expect(await ws.waitClosed()).to.equal(CLOSE_CODES.sessionEnded);
    await waitFor(
      async () => {
        const page = await http<{ messages: Array<{ text: string; sender_id: string }> }>(
          'GET',
          `${system.apiUrl}/chats/${chat.body.id}/messages`,
          undefined,
          friend.token,
        );
        return page.status === 200 && page.body.messages.some((m) => m.text === 'remember me' && m.sender_id === gone.id);
      },
      { what: 'the message read back by the friend after the deletion' },
    );
    expect(await call('POST', `${system.apiUrl}/auth/register`, undefined, { username: gone.username, password: 'other-pass' })).to.equal(
      201,
    );
  });

  it("a blocked user's post into the 1:1 chat is refused and nothing of it is stored", async () => {
    const [alice, mallory] = [await registerAndLogin(system.apiUrl), await registerAndLogin(system.apiUrl)];
    const chat = await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: mallory.id }, alice.token);
    const ws = await TestSocket.open(`${secondUrl}?token=${mallory.token}`);
    await ws.next((f) => f.type === 'ready');
    expect(await call('PUT', `${system.apiUrl}/me/blocks/${mallory.id}`, alice.token)).to.equal(204);
    ws.send({ type: 'message', chat_id: chat.body.id, text: 'let me in', request_id: 'r-x' });
    expect(await ws.next((f) => f.type === 'error' && f.request_id === 'r-x')).to.include({ code: 'forbidden' });
    // Alice's own message after it is the chat's first: nothing of Mallory's was stored.
    const aliceWs = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    await aliceWs.next((f) => f.type === 'ready');
    aliceWs.send({ type: 'message', chat_id: chat.body.id, text: 'mine', request_id: 'r-a' });
    await aliceWs.next((f) => f.type === 'message_sent');
    await waitFor(
      async () =>
        (await http<{ messages: unknown[] }>('GET', `${system.apiUrl}/chats/${chat.body.id}/messages`, undefined, alice.token)).body
          .messages.length === 1,
      { what: "alice's message stored" },
    );
    const page = await http<{ messages: Array<{ text: string }> }>(
      'GET',
      `${system.apiUrl}/chats/${chat.body.id}/messages`,
      undefined,
      alice.token,
    );
    expect(page.body.messages.map((m) => m.text)).to.deep.equal(['mine']);
    expect(ws.ofType('message_sent')).to.have.length(0);
    for (const s of [ws, aliceWs]) await s.close();
  });
});

describe('signing key rotation end to end @integration', () => {
  const OLD = 'e2e-rotation-old-secret-0123456789abcdef-01';
  const NEW = 'e2e-rotation-new-secret-0123456789abcdef-02';
  const running: Array<{ close(): Promise<void> }> = [];

  after(async () => {
    for (const r of running.reverse()) await r.close();
  });

  async function api(env: Record<string, string>): Promise<{ service: ApiService; url: string }> {
    // The run's systems share one Redis and so the per-address request limit: high here too.
    const service = await createApiService(testServiceConfig(ApiEnv, { RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT_PER_MINUTE, ...env }));
    await service.app.listen({ host: '127.0.0.1', port: 0 });
    running.push(service);
    return { service, url: `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}/api/v1` };
  }
  async function gateway(env: Record<string, string>): Promise<string> {
    const gw = await createGateway(testServiceConfig(GatewayEnv, env));
    await gw.listen();
    running.push(gw);
    return `ws://127.0.0.1:${gw.port}/ws`;
  }

  it('keeps every open socket and every new login working across add → sign → retire, with two gateways', async () => {
    const oldApi = await api({ JWT_SECRET: OLD });
    const name = uniqueName('rot');
    expect(await call('POST', `${oldApi.url}/auth/register`, undefined, { username: name, password: 'secret-password' })).to.equal(201);
    const loginAt = async (url: string) =>
      (await http<Login>('POST', `${url}/auth/login`, { username: name, password: 'secret-password' })).body.token;
    const gwOld = await gateway({ JWT_SECRET: OLD });
    const open = await TestSocket.open(`${gwOld}?token=${await loginAt(oldApi.url)}`);
    await open.next((f) => f.type === 'ready');

    // Step 1: NEW becomes accepted everywhere (a gateway and an api rolled with it as "previous").
    const gwAccepting = await gateway({ JWT_SECRET: OLD, JWT_SECRET_PREVIOUS: NEW });
    // Step 2: the api signs with NEW, OLD still accepted; the second gateway is rolled the same way.
    const newApi = await api({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD });
    const gwNew = await gateway({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD });
    for (const apiUrl of [oldApi.url, newApi.url]) {
      const token = await loginAt(apiUrl);
      for (const restUrl of [oldApi.url, newApi.url]) {
        if (apiUrl === newApi.url && restUrl === oldApi.url) continue; // the old api process is retired in step 2
        expect(await call('GET', `${restUrl}/me`, token), `${apiUrl} → ${restUrl}`).to.equal(200);
      }
      for (const ws of [gwAccepting, gwNew]) {
        const socket = await TestSocket.open(`${ws}?token=${token}`);
        expect((await socket.next((f) => f.type === 'ready')).type).to.equal('ready');
        await socket.close();
      }
    }
    // The socket opened before the rotation is still served.
    open.send({ type: 'ping' });
    await open.next((f) => f.type === 'pong');
    await open.close();
  });
});
