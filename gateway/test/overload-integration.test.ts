import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { GatewayEnv } from '@neonchat/common';
import { TestSocket, startNats, testServiceConfig, waitFor, type RunningServer } from '@neonchat/common/testing';
import { createGateway, type Gateway } from '../src/mod.js';
import { GatewayHarness, receivedTexts, type RunningGateway } from './support/gateway-harness.js';
import { stalledClient } from './support/stalled-client.js';

/** The sum of a metric's samples named `sample` (default: the metric itself) that carry `label`. */
async function metric(registry: Gateway['registry'], name: string, label?: string, sample = name): Promise<number> {
  const text = await registry.getSingleMetricAsString(name);
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${sample} `) || l.startsWith(`${sample}{`)) && (label === undefined || l.includes(label)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('gateway under overload @integration', () => {
  let h: GatewayHarness;

  before(async () => {
    h = await GatewayHarness.start();
  });

  after(async () => {
    await h?.close();
  });

  describe('a reader that stopped reading', () => {
    let gw: RunningGateway;

    before(async () => {
      // The per-socket byte bound stays at its 1 MiB default: only the lag probe can cut this reader.
      // Probe every chat that got anything: the messages here are small.
      gw = await h.gateway({ GATEWAY_SLOW_SOCKET_MS: 300, GATEWAY_LAG_PROBE_MS: 100, GATEWAY_LAG_PROBE_MIN_BYTES: 0 });
    });

    it('is closed with 4008 long before its buffers fill, while the others get every message', async () => {
      const [alice, bob, slow] = [await h.user(), await h.user(), await h.user()];
      const chatId = await h.chat('group', [alice, bob, slow]);
      const b = await gw.connect(bob);
      const stalled = await stalledClient(gw.gateway.port, slow.token);
      await waitFor(() => gw.gateway.connectionCount === 2);

      // A few hundred bytes in all: far below the kernel's buffers and the 1 MiB bound.
      const texts = Array.from({ length: 5 }, (_, i) => `small ${i}`);
      await h.storeMessages(chatId, alice, texts.length, (i) => texts[i]!);
      await waitFor(() => gw.gateway.connectionCount === 1, { what: 'the stalled socket closed by the lag probe' });
      expect(await metric(gw.gateway.registry, 'neonchat_gateway_slow_consumer_closes_total', 'reason="lagging"')).to.equal(1);
      await waitFor(() => receivedTexts(b, chatId).length === texts.length, { what: 'every message on the reading socket' });
      expect(receivedTexts(b, chatId)).to.deep.equal(texts);
      // The reading socket answers its probes: still open, measured.
      expect(b.closeCode).to.equal(undefined);
      expect(
        await metric(gw.gateway.registry, 'neonchat_gateway_socket_lag_seconds', undefined, 'neonchat_gateway_socket_lag_seconds_count'),
      ).to.be.greaterThan(0);
      stalled.destroy();
    });
  });

  describe('sends while the stream does not answer', () => {
    let nats: RunningServer;
    let gateway: Gateway;
    let natsPid: number;

    before(async () => {
      nats = await startNats();
      natsPid = Number(
        execFileSync('pgrep', ['-f', `nats-server .*-p ${nats.port} `], { encoding: 'utf8' })
          .trim()
          .split('\n')[0],
      );
      gateway = await createGateway(
        testServiceConfig(GatewayEnv, {
          NATS_URL: nats.url,
          // One publish waiting for its ack is the most; the ack itself may take long.
          GATEWAY_MAX_PUBLISHES_IN_FLIGHT: 1,
          GATEWAY_SHED_ACK_AGE_MS: 0,
          GATEWAY_PUBLISH_TIMEOUT_MS: 30_000,
          GATEWAY_LAG_PROBE_MS: 50,
        }),
      );
      await gateway.listen();
    });

    after(async () => {
      if (natsPid) process.kill(natsPid, 'SIGCONT');
      await gateway?.close();
      await nats?.stop();
    });

    it('answers a new send `unavailable` at once, stores only what it acks, and serves the others meanwhile', async () => {
      const [alice, bob] = [await h.user(), await h.user()];
      const chatId = await h.chat('group', [alice, bob]);
      const url = `ws://127.0.0.1:${gateway.port}/ws`;
      const a = await TestSocket.open(`${url}?token=${alice.token}`);
      const b = await TestSocket.open(`${url}?token=${bob.token}`);
      await a.next((f) => f.type === 'ready');
      await b.next((f) => f.type === 'ready');

      process.kill(natsPid, 'SIGSTOP');
      try {
        a.send({ type: 'message', chat_id: chatId, text: 'first', request_id: 'r-first' });
        await waitFor(async () => (await metric(gateway.registry, 'neonchat_gateway_publishes_in_flight')) === 1, {
          what: 'the first send published and waiting for its ack',
        });
        a.send({ type: 'message', chat_id: chatId, text: 'second', request_id: 'r-second' });
        // Answered while NATS is frozen: nothing waited for the stream.
        const refused = await a.next((f) => f.type === 'error');
        expect(refused).to.include({ code: 'unavailable', request_id: 'r-second' });
        expect(await metric(gateway.registry, 'neonchat_gateway_sends_shed_total', 'reason="publishes_in_flight"')).to.equal(1);
        // Frames that need no publish are served meanwhile.
        b.send({ type: 'ping', request_id: 'p1' });
        expect(await b.next((f) => f.type === 'pong')).to.include({ request_id: 'p1' });
      } finally {
        process.kill(natsPid, 'SIGCONT');
      }

      expect(await a.next((f) => f.type === 'message_sent', 15_000)).to.include({ request_id: 'r-first' });
      // Had the refused send been published, it would be stored between these two.
      a.send({ type: 'message', chat_id: chatId, text: 'third', request_id: 'r-third' });
      await a.next((f) => f.type === 'message_sent' && f.request_id === 'r-third');
      await waitFor(() => receivedTexts(b, chatId).length >= 2, { what: 'first and third delivered' });
      expect(receivedTexts(b, chatId)).to.deep.equal(['first', 'third']);

      // The client resends with the same request_id, as `unavailable` says: stored now.
      a.send({ type: 'message', chat_id: chatId, text: 'second', request_id: 'r-second' });
      await a.next((f) => f.type === 'message_sent' && f.request_id === 'r-second');
      await waitFor(() => receivedTexts(b, chatId).length >= 3, { what: 'the resend delivered' });
      expect(receivedTexts(b, chatId)).to.deep.equal(['first', 'third', 'second']);
      await a.close();
      await b.close();
    });
  });
});
