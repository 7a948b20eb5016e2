import { expect } from 'chai';
import {
  GatewayEnv,
  SUBJECTS,
  connectNats,
  createLogger,
  provisionStreams,
  streamSettingsOf,
  uuidv7,
  type ChatEvent,
} from '@neonchat/common';
import { TestSocket, startNats, testServiceConfig, waitFor, type RunningServer } from '@neonchat/common/testing';
import { jetstream } from '@nats-io/jetstream';
import { createGateway, type Gateway } from '../src/mod.js';
import { GatewayHarness, receivedTexts } from './support/gateway-harness.js';

describe('gateway across a NATS restart @integration', () => {
  let h: GatewayHarness;
  let nats: RunningServer;
  let gateway: Gateway;

  before(async () => {
    h = await GatewayHarness.start();
    nats = await startNats();
    gateway = await createGateway(testServiceConfig(GatewayEnv, { NATS_URL: nats.url }));
    await gateway.listen();
  });

  after(async () => {
    await gateway?.close();
    await nats?.stop();
    await h?.close();
  });

  it('re-reads memberships missed while NATS was away, and keeps delivering', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const ws = await TestSocket.open(`ws://127.0.0.1:${gateway.port}/ws?token=${bob.token}`);
    await ws.next((f) => f.type === 'ready');

    await nats.kill();
    // Added while NATS is down: the announcement is lost, the re-read after the reconnect finds it.
    const chatId = await h.chat('group', [alice, bob]);
    await nats.restart();
    const nc = await connectNats({ url: nats.url, name: 'restart-test', logger: createLogger('test', 'silent') });
    try {
      const config = testServiceConfig(GatewayEnv);
      await provisionStreams(nc, streamSettingsOf(config));
      const js = jetstream(nc);
      await waitFor(
        async () => {
          const event: ChatEvent = {
            type: 'message.created',
            id: uuidv7(),
            chat_id: chatId,
            sender_id: alice.id,
            text: 'after the restart',
            created_at: new Date().toISOString(),
          };
          await js.publish(SUBJECTS.chatEvents(chatId), JSON.stringify(event));
          return receivedTexts(ws, chatId).includes('after the restart');
        },
        { intervalMs: 200, timeoutMs: 15000, what: 'a message in the chat added while NATS was away' },
      );
      expect(gateway.isReady()).to.equal(true);
    } finally {
      await nc.drain();
      await ws.close();
    }
  });
});
