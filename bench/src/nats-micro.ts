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
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { SUBJECTS, type MessageCreatedEvent } from '@neonchat/common/contracts';
import { CO_LOCATED_NATS_GO_ENV, startNats } from '@neonchat/common/testing';
import { ChatEventPublisher, uuidv7 } from '@neonchat/common/runtime';

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

/** utime + stime of a process in ms, from /proc (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const server = await startNats(goEnv === 'tuned' ? { env: CO_LOCATED_NATS_GO_ENV } : {});
const pid = Number(
  execFileSync('pgrep', ['-f', `nats-server .*-p ${server.port} `])
    .toString()
    .trim()
    .split('\n')[0],
);
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
  const event: MessageCreatedEvent = {
    type: 'message.created',
    id: uuidv7(),
    chat_id: chat,
    sender_id: senderId,
    text: `message ${published} ${'x'.repeat(60)}`,
    created_at: new Date().toISOString(),
  };
  publisher.publish(event, `${chat}:${published}`, 'nats-micro').catch(() => (failed += 1));
  published += 1;
}

/** Publishes at `rate` for `s` seconds, open loop (what is due each tick goes out); how many. */
async function paced(s: number): Promise<number> {
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      const due = Math.floor((Math.min(elapsed, s * 1000) / 1000) * rate);
      for (; sent < due; sent++) publishOne();
      if (elapsed >= s * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  return sent;
}

try {
  await paced(WARMUP_S);
  const cpuBefore = cpuMsOf(pid);
  const receivedBefore = received;
  const sent = await paced(seconds);
  await new Promise((r) => setTimeout(r, 300));
  const cpuMs = cpuMsOf(pid) - cpuBefore;
  console.log(
    JSON.stringify({
      go_env: goEnv === 'tuned' ? CO_LOCATED_NATS_GO_ENV : 'default',
      rate,
      seconds,
      published: sent,
      republished_received: received - receivedBefore,
      failed,
      nats_cpu_pct: Math.round(cpuMs / seconds / 10),
      nats_cpu_us_per_event: Math.round((cpuMs * 1000) / sent),
    }),
  );
} finally {
  await publisherConnection.close();
  await liveConnection.close();
  await server.stop();
}
