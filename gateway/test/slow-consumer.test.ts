import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { waitFor } from '@neonchat/common/testing';
import { GatewayHarness, seqsOf, type RunningGateway } from './support/gateway-harness.js';

/** A raw TCP WebSocket client that completes the upgrade and then never reads again. */
async function stalledClient(port: number, token: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(
    `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      resolve();
    };
    socket.on('data', onData);
  });
  // From here on nothing is read: the kernel buffers fill, then the gateway's.
  socket.pause();
  return socket;
}

async function metric(gw: RunningGateway, name: string): Promise<number> {
  const text = await gw.gateway.registry.getSingleMetricAsString(name);
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('gateway backpressure @integration', () => {
  let h: GatewayHarness;
  let gw: RunningGateway;

  before(async () => {
    h = await GatewayHarness.start();
    gw = await h.gateway({ GATEWAY_MAX_BACKPRESSURE_BYTES: 64 * 1024 });
  });

  after(async () => {
    await h?.close();
  });

  it('cuts off a reader that stopped reading, counted, while the others get every message', async () => {
    const [alice, bob, carol, slow] = [await h.user(), await h.user(), await h.user(), await h.user()];
    const chatId = await h.chat('group', [alice, bob, carol, slow]);
    const b = await gw.connect(bob);
    const c = await gw.connect(carol);
    const stalled = await stalledClient(gw.gateway.port, slow.token);
    await waitFor(() => gw.gateway.connectionCount === 3);
    const closesBefore = await metric(gw, 'neonchat_gateway_slow_consumer_closes_total');

    const text = 'x'.repeat(4000);
    const stored = await h.storeMessages(chatId, alice, 1500, (i) => `${i} ${text}`);
    await waitFor(() => gw.gateway.connectionCount === 2, { what: 'the stalled socket closed' });
    expect(await metric(gw, 'neonchat_gateway_slow_consumer_closes_total')).to.be.greaterThan(closesBefore);
    for (const ws of [b, c]) {
      await waitFor(() => seqsOf(ws, chatId).length === stored.length, { what: 'every message on a healthy socket' });
      expect(seqsOf(ws, chatId)).to.deep.equal(stored.map((m) => m.seq));
    }
    stalled.destroy();
  });
});
