import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import pg from 'pg';
import { CLOSE_CODES, signAccessToken, uuidv7 } from '@neonchat/common';
import { TEST_JWT_SECRET, TestSocket, testEnvironment } from '@neonchat/common/testing';
import type { Gateway } from '@neonchat/gateway';
import { http, registerAndLogin, startSystem, type RunningSystem } from '../support/system.js';

/** An upgrade request's HTTP answer: status and JSON body (the gateway refuses before any socket exists). */
function upgradeAnswer(wsUrl: string, token: string, connection = 'Upgrade'): Promise<{ status: number; body: string }> {
  const url = new URL(`${wsUrl.replace(/^ws/, 'http')}?token=${token}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      headers: {
        connection,
        upgrade: 'websocket',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The gateway's reads of connecting users' chats so far, by where they were made. */
async function chatReads(gateway: Gateway): Promise<{ upgrade: number; open: number }> {
  const metric = (await gateway.registry.getMetricsAsJSON()).find((m) => m.name === 'neonchat_gateway_connect_chat_reads_total');
  const at = (where: string) => metric?.values.find((v) => v.labels.at === where)?.value ?? 0;
  return { upgrade: at('upgrade'), open: at('open') };
}

/** Issue 27's upgrade refusal for users that do not exist, through the real api, gateway and PostgreSQL. */
describe('upgrade refusal of users that do not exist, end to end @integration', () => {
  let system: RunningSystem;
  let pool: pg.Pool;

  before(async () => {
    system = await startSystem();
    pool = new pg.Pool({ connectionString: testEnvironment().databaseUrl, max: 2 });
  });

  after(async () => {
    await pool?.end();
    await system?.stop();
  });

  it('answers 401 at the upgrade, as REST does, for a correctly signed token of a user that never existed', async () => {
    const token = signAccessToken({ id: uuidv7(), username: 'nobody_at_all' }, TEST_JWT_SECRET, 900);
    expect((await http('GET', `${system.apiUrl}/me`, undefined, token)).status).to.equal(401);
    const answer = await upgradeAnswer(system.wsUrl, token);
    expect(answer.status).to.equal(401);
    expect(JSON.parse(answer.body)).to.deep.include({ error: { code: 'unauthorized', message: 'unknown user: log in again' } });
    expect(await TestSocket.refusal(`${system.wsUrl}?token=${token}`)).to.equal(401);
  });

  it('answers 401 at the upgrade for an account deleted over REST, with a token issued before the deletion', async () => {
    const user = await registerAndLogin(system.apiUrl);
    const ws = await TestSocket.open(`${system.wsUrl}?token=${user.token}`);
    await ws.next((f) => f.type === 'ready');
    const deleted = await fetch(`${system.apiUrl}/me`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'secret-password' }),
    });
    expect(deleted.status).to.equal(204);
    expect(await ws.waitClosed()).to.equal(CLOSE_CODES.sessionEnded);
    expect(await TestSocket.refusal(`${system.wsUrl}?token=${user.token}`)).to.equal(401);
  });

  it('connects a normal user with one read of their chats per connect: at the upgrade the first time, at open once remembered', async () => {
    const user = await registerAndLogin(system.apiUrl);
    const before = await chatReads(system.gateway);
    const first = await TestSocket.open(`${system.wsUrl}?token=${user.token}`);
    expect(await first.next((f) => f.type === 'ready')).to.include({ user_id: user.id });
    const afterFirst = await chatReads(system.gateway);
    expect(afterFirst).to.deep.equal({ upgrade: before.upgrade + 1, open: before.open });
    await first.close();
    const again = await TestSocket.open(`${system.wsUrl}?token=${user.token}`);
    expect(await again.next((f) => f.type === 'ready')).to.include({ user_id: user.id });
    expect(await chatReads(system.gateway)).to.deep.equal({ upgrade: afterFirst.upgrade, open: afterFirst.open + 1 });
    // The socket works: a frame is answered.
    again.send({ type: 'ping', request_id: 'p1' });
    expect(await again.next((f) => f.type === 'pong')).to.include({ request_id: 'p1' });
    await again.close();
  });

  it('still closes with 4003 a remembered user whose account went away without the api, then refuses them at the upgrade', async () => {
    const user = await registerAndLogin(system.apiUrl);
    const ws = await TestSocket.open(`${system.wsUrl}?token=${user.token}`);
    await ws.next((f) => f.type === 'ready');
    await ws.close();
    // As a restore or an operator's SQL would leave it: no revocation entry, the row no longer a user.
    await pool.query('update users set deleted_at = now() where id = $1', [user.id]);
    expect(await TestSocket.closedBeforeReady(`${system.wsUrl}?token=${user.token}`)).to.equal(CLOSE_CODES.unknownUser);
    expect(await TestSocket.refusal(`${system.wsUrl}?token=${user.token}`)).to.equal(401);
  });

  it('answers 400 to an upgrade that does not ask for `Connection: Upgrade`, and the gateway carries on', async () => {
    const user = await registerAndLogin(system.apiUrl);
    const answer = await upgradeAnswer(system.wsUrl, user.token, 'close');
    expect(answer.status).to.equal(400);
    expect(JSON.parse(answer.body)).to.deep.include({
      error: { code: 'validation_failed', message: 'connection: must include "upgrade"' },
    });
    const ws = await TestSocket.open(`${system.wsUrl}?token=${user.token}`);
    expect(await ws.next((f) => f.type === 'ready')).to.include({ user_id: user.id });
    await ws.close();
  });
});
