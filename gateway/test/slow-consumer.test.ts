import { expect } from 'chai';
import { waitFor } from '@neonchat/common/testing';
import { GatewayHarness, seqsOf, type RunningGateway } from './support/gateway-harness.js';
import { stalledClient } from './support/stalled-client.js';

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
