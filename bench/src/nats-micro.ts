/**
 * nats-server's own CPU per chat event, as the system uses it: events published at a paced
 * rate through `ChatEventPublisher` (one JetStream publish each, acked), stored in the chat
 * stream and republished to one subscriber holding `live.{chat}.*` for 1,000 chats, as a
 * gateway does. The figure is the server's CPU time (from /proc) over the events published in
 * the measured window; wall time and this process's CPU depend on what else runs.
 *
 *   node bench/dist/nats-micro.js [--rate 2000] [--seconds 8] [--go-env tuned|default]
 *
 * `--go-env tuned` starts the server with CO_LOCATED_NATS_GO_ENV (GOMAXPROCS=1, GOGC=400),
 * `default` with Go's defaults; alternate the two, several runs each, to compare them.
 */
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { SUBJECTS } from '@neonchat/common/contracts';
import { CO_LOCATED_NATS_GO_ENV, startNats } from '@neonchat/common/testing';
import { ChatEventPublisher, uuidv7 } from '@neonchat/common/runtime';
import { findPid, pidProcess } from './load/process-sampler.js';
import { RateController } from './load/rate-controller.js';
import { sampleCreatedEvent } from './sample-event.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '8' },
    'go-env': { type: 'string', default: 'tuned' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const goEnv = values['go-env'];
if (!(rate > 0 && rate <= 100_000)) throw new Error('--rate: 1..100000 events/s');
if (!(seconds > 0 && seconds <= 600)) throw new Error('--seconds: 1..600');
if (goEnv !== 'tuned' && goEnv !== 'default') throw new Error('--go-env: tuned or default');

const CHATS = 1000;
const WARMUP_S = 2;
const TICK_MS = 1;

const server = await startNats(goEnv === 'tuned' ? { env: CO_LOCATED_NATS_GO_ENV } : {});
const pid = findPid('nats-server', `-p ${server.port} `);
if (!pid) throw new Error('the nats-server just started is not in /proc');
const natsProcess = pidProcess('nats-server', pid);
const publisherConnection = await connect({ servers: server.url, noAsyncTraces: true });
const liveConnection = await connect({ servers: server.url, noAsyncTraces: true });
const publisher = new ChatEventPublisher(publisherConnection, await jetstreamManager(publisherConnection), 5000);
const chats = Array.from({ length: CHATS }, () => uuidv7());
const senderId = uuidv7();
let received = 0;
for (const chat of chats)
  liveConnection.subscribe(SUBJECTS.liveChat(chat), {
    callback: () => {
      received += 1;
    },
  });
await liveConnection.flush();

let published = 0;
let failed = 0;
function publishOne(): void {
  const chat = chats[published % CHATS]!;
  const event = sampleCreatedEvent(chat, senderId, published, 60);
  publisher.publish(event, `${chat}:${published}`, 'nats-micro').catch(() => (failed += 1));
  published += 1;
}

/** Every pacer used, for the sends their catch-up cap dropped (the report says how many). */
const pacers: RateController[] = [];

/** Publishes at `rate` for `s` seconds, open loop (what is due each tick goes out); how many. */
async function paced(s: number): Promise<number> {
  const started = performance.now();
  const end = started + s * 1000;
  const pacer = new RateController(rate, started);
  pacers.push(pacer);
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Math.min(performance.now(), end);
      for (let n = pacer.due(now); n > 0; n--, sent++) publishOne();
      if (now >= end) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  return sent;
}

try {
  await paced(WARMUP_S);
  const cpuBefore = natsProcess.cpuSeconds();
  const receivedBefore = received;
  const sent = await paced(seconds);
  await new Promise((r) => setTimeout(r, 300));
  const cpuMs = (natsProcess.cpuSeconds() - cpuBefore) * 1000;
  console.log(
    JSON.stringify({
      go_env: goEnv === 'tuned' ? CO_LOCATED_NATS_GO_ENV : 'default',
      rate,
      seconds,
      published: sent,
      republished_received: received - receivedBefore,
      failed,
      skipped_by_pacer: pacers.reduce((a, p) => a + p.skipped, 0),
      nats_cpu_pct: Math.round(cpuMs / seconds / 10),
      nats_cpu_us_per_event: Math.round((cpuMs * 1000) / sent),
    }),
  );
} finally {
  await publisherConnection.close();
  await liveConnection.close();
  await server.stop();
}
