/**
 * The cost of one JetStream publish of a chat event, as the gateway makes it, without the rest
 * of the system: a fresh nats-server, one Node process publishing `count` events with `window`
 * in flight, and this process's CPU time per message (the figure that matters on a shared box;
 * wall time depends on what else runs).
 *
 *   node bench/dist/publish-micro.js [--mode request|request-traces|pipelined] [--count 50000] [--window 256]
 *
 * `request-traces` is `js.publish` as the gateway made it before (a request per publish, async
 * traces on), `request` the same with `noAsyncTraces`, `pipelined` the `ChatEventPublisher`
 * over `StreamPublisher` the services use now.
 */
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import { ORIGIN_CONNECTION_HEADER, SUBJECTS } from '@neonchat/common/contracts';
import { startNats } from '@neonchat/common/testing';
import { ChatEventPublisher, uuidv7 } from '@neonchat/common/runtime';
import { sampleCreatedEvent } from './sample-event.js';

const MODES = ['request-traces', 'request', 'pipelined'] as const;
type Mode = (typeof MODES)[number];

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'pipelined' },
    count: { type: 'string', default: '50000' },
    window: { type: 'string', default: '256' },
    warmup: { type: 'string', default: '5000' },
  },
});
const mode = values.mode as Mode;
if (!MODES.includes(mode)) throw new Error(`--mode: one of ${MODES.join(', ')}`);
const count = Number(values.count);
const window = Number(values.window);
const warmup = Number(values.warmup);

const server = await startNats();
const nc = await connect({ servers: server.url, noAsyncTraces: mode !== 'request-traces' });
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);
const publisher = new ChatEventPublisher(nc, jsm, 5000);
const chatId = uuidv7();
const senderId = uuidv7();
const connectionId = uuidv7();

function publishOne(i: number): Promise<PubAck> {
  const event = sampleCreatedEvent(chatId, senderId, i, 80);
  const dedupId = `${chatId}:${senderId}:${i}`;
  if (mode === 'pipelined') return publisher.publish(event, dedupId, connectionId);
  // What ChatEventPublisher did before StreamPublisher: one JetStream request per publish.
  const headers = natsHeaders();
  headers.set(ORIGIN_CONNECTION_HEADER, connectionId);
  return js.publish(SUBJECTS.chatEvents(chatId), JSON.stringify(event), { headers, timeout: 5000, msgID: dedupId });
}

/** Publishes `n` with at most `window` waiting for their ack at once. */
async function run(offset: number, n: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const ack = await publishOne(offset + next++);
      if (ack.duplicate) throw new Error('unexpected duplicate');
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
}

try {
  await run(0, warmup);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(warmup, count);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuUs = (used.user + used.system) / count;
  const report = {
    mode,
    count,
    window,
    publish_per_s: Math.round(count / (wallMs / 1000)),
    wall_us_per_msg: Number(((wallMs * 1000) / count).toFixed(1)),
    cpu_us_per_msg: Number(cpuUs.toFixed(1)),
  };
  console.log(JSON.stringify(report));
} finally {
  await nc.close();
  await server.stop();
}
