import { expect } from 'chai';
import WebSocket from 'ws';
import { CLOSE_CODES, signAccessToken } from '@neonchat/common';
import { TEST_JWT_SECRET, TestSocket } from '@neonchat/common/testing';
import { upgradeCredentials } from '../src/mod.js';
import { GatewayHarness, type RunningGateway } from './support/gateway-harness.js';

describe('upgrade credentials', () => {
  const q = (s = '') => new URLSearchParams(s);

  it('takes the token from the query, the Authorization header or the subprotocol list', () => {
    expect(upgradeCredentials(q('token=abc'), '', '')).to.deep.equal({ token: 'abc', protocol: '' });
    expect(upgradeCredentials(q(), 'Bearer xyz', '')).to.deep.equal({ token: 'xyz', protocol: '' });
    expect(upgradeCredentials(q(), '', 'bearer.t.o.k')).to.deep.equal({ token: 't.o.k', protocol: 'bearer.t.o.k' });
    expect(upgradeCredentials(q(), '', 'neonchat, bearer.tok')).to.deep.equal({ token: 'tok', protocol: 'neonchat' });
    expect(upgradeCredentials(q(), '', 'bearer, tok')).to.deep.equal({ token: 'tok', protocol: 'bearer' });
    expect(upgradeCredentials(q(), '', 'neonchat')).to.deep.equal({ token: undefined, protocol: 'neonchat' });
  });
});

describe('gateway authentication and lifecycle @integration', () => {
  let h: GatewayHarness;
  let gw: RunningGateway;

  before(async () => {
    h = await GatewayHarness.start();
    gw = await h.gateway({ GATEWAY_MAX_SOCKETS_PER_USER: 2 });
  });

  after(async () => {
    await h?.close();
  });

  it('refuses a missing, forged or expired token with 401 before upgrading', async () => {
    const user = await h.user();
    expect(await TestSocket.refusal(gw.url)).to.equal(401);
    expect(await TestSocket.refusal(`${gw.url}?token=not-a-jwt`)).to.equal(401);
    const forged = signAccessToken({ id: user.id, username: user.username }, 'another-secret-0123456789abcdef', 60);
    expect(await TestSocket.refusal(gw.url, { headers: { authorization: `Bearer ${forged}` } })).to.equal(401);
    const expired = signAccessToken({ id: user.id, username: user.username }, TEST_JWT_SECRET, -10);
    expect(await TestSocket.refusal(`${gw.url}?token=${expired}`)).to.equal(401);
  });

  it('accepts the token in Sec-WebSocket-Protocol and echoes an offered protocol without it', async () => {
    const user = await h.user();
    const ws = new WebSocket(gw.url, ['neonchat', `bearer.${user.token}`]);
    const first = new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    expect(ws.protocol).to.equal('neonchat');
    expect(JSON.parse(await first)).to.include({ type: 'ready', user_id: user.id });
    ws.close();
    const pair = new WebSocket(gw.url, ['bearer', user.token]);
    await new Promise<void>((resolve, reject) => {
      pair.once('open', () => resolve());
      pair.once('error', reject);
    });
    expect(pair.protocol).to.equal('bearer');
    pair.close();
  });

  it('closes a socket with 4001 when its token expires while open', async () => {
    const user = await h.user(2);
    const ws = await gw.connect(user);
    const started = Date.now();
    expect(await ws.waitClosed()).to.equal(CLOSE_CODES.tokenExpired);
    expect(Date.now() - started).to.be.below(4500);
  });

  it('caps the sockets of one user', async () => {
    const user = await h.user();
    await gw.connect(user);
    await gw.connect(user);
    expect(await TestSocket.refusal(`${gw.url}?token=${user.token}`)).to.equal(429);
  });

  it('shuts down: not ready, sockets closed with 1001 and a reconnect hint, NATS drained', async () => {
    const own = await h.gateway();
    const user = await h.user();
    const ws = await own.connect(user);
    const reason = new Promise<string>((resolve) => ws.ws.once('close', (_code, r) => resolve(String(r))));
    expect(own.gateway.isReady()).to.equal(true);
    const closing = own.gateway.close();
    expect(own.gateway.isReady()).to.equal(false);
    expect(await ws.waitClosed()).to.equal(CLOSE_CODES.goingAway);
    expect(await reason).to.match(/reconnect/);
    await closing;
    expect(own.gateway.nats.isClosed()).to.equal(true);
    h.gateways.splice(h.gateways.indexOf(own), 1);
  });
});
