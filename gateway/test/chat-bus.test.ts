import { jetstream } from '@nats-io/jetstream';
import { SUBJECTS, createLogger } from '@neonchat/common';
import { connectNats } from '@neonchat/common/runtime';
import { testEnvironment } from '@neonchat/common/testing';
import { MemoryChatBus } from '../src/bus/memory-chat-bus.js';
import { NatsChatBus } from '../src/bus/nats-chat-bus.js';
import { chatBusContract } from './bus/chat-bus-contract.js';
import { GatewayHarness } from './support/gateway-harness.js';

chatBusContract('memory', async () => {
  const bus = new MemoryChatBus();
  return { bus, storeRaw: async (chatId, data) => bus.storeRaw(chatId, data), close: () => bus.close() };
});

let provisioned: Promise<void> | undefined;
chatBusContract('nats @integration', async () => {
  // The harness provisions the stream (as the persister does) once for the suite.
  provisioned ??= GatewayHarness.start().then((h) => h.close());
  await provisioned;
  const logger = createLogger('test', 'silent');
  const nc = await connectNats({ url: testEnvironment().natsUrl, name: 'chat-bus-contract', logger });
  const bus = await NatsChatBus.over(nc, logger, 5000);
  return {
    bus,
    storeRaw: async (chatId, data) => (await jetstream(nc).publish(SUBJECTS.chatEvents(chatId), data)).seq,
    close: async () => {
      if (!nc.isClosed()) await nc.drain();
    },
  };
});
