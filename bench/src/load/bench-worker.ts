/**
 * A client worker process (forked by WorkerPool): holds its share of the WebSocket clients,
 * sends at its share of the rate, and reports one tick per second to the coordinator.
 */
import { RawWsClient, READY_STATE } from './raw-ws-client.js';
import { LatencyHistogram } from './latency-histogram.js';
import { DeliveryReader, peekFrame } from './frame-peek.js';
import { RateController } from './rate-controller.js';
import { SecondRecorder } from './second-recorder.js';
import {
  messageText,
  nowMs,
  parseMessageText,
  type ClientSpec,
  type CoordinatorMessage,
  type ReconnectConfig,
  type WorkerMessage,
} from './worker-protocol.js';
import { ReconnectTracker, type SocketTrack } from './reconnect-tracker.js';
import { nextGateway, reconnectDelayMs, reconnectUrl } from './reconnect-math.js';

const WORKER = Number(process.env.BENCH_WORKER_INDEX ?? 0);
const SEND_TICK_MS = 5;
const OPEN_TIMEOUT_MS = 30000;
/** A sender whose socket has this much unsent data is skipped (and counted), not piled on. */
const CLIENT_BUFFER_LIMIT = 1024 * 1024;

interface Client {
  /** The current connection (a reconnect replaces it). */
  ws: RawWsClient;
  readonly spec: ClientSpec;
  ready: boolean;
  /** Called once the socket is gone (closeAll waits on it). */
  onClosed?: () => void;
  /** Reconnect state, when the scenario reconnects closed sockets. */
  readonly track?: SocketTrack;
}

const clients: Client[] = [];
let senders: Client[] = [];
let recorder: SecondRecorder | undefined;
let tickTimer: NodeJS.Timeout | undefined;
let sendTimer: NodeJS.Timeout | undefined;
let rate: RateController | undefined;
let textBytes = 100;
let nextSender = 0;
let counter = 0;
let closing = false;
const pendingAcks = new Map<string, number>();
/** Set by an `open` that asks for reconnects (the `reconnect` scenario). */
let reconnects: ReconnectTracker | undefined;

function post(message: WorkerMessage): void {
  // Not after closeAll's disconnect: an open still in flight when the bench was interrupted would throw.
  if (process.connected) process.send?.(message);
}

function held(): number {
  let n = 0;
  for (const c of clients) if (c.ready && c.ws.readyState === READY_STATE.open) n += 1;
  return n;
}

/** Hands the finished second to the coordinator; called before recording anything, so an
 * event is always counted in the second it happened in. */
function flushTick(force = false, at = nowMs()): void {
  const tick = recorder?.roll(at, held, force);
  if (tick) post(tick);
}

const deliveries = new DeliveryReader();

/** A frame, `buf[start, end)` (valid during the call only). */
function onFrame(client: Client, buf: Buffer, start: number, end: number): void {
  const at = nowMs();
  flushTick(false, at);
  if (client.track && reconnects) {
    // Reconnect tracking reads each frame in full (seqs, chats); the resumes a reconnect's `ready` calls for go out.
    for (const resume of reconnects.onFrame(client.track, buf.toString('utf8', start, end), at)) client.ws.send(resume);
  }
  // The killed gateway's sockets stay out of the delivery timeline: it is everyone else's latency.
  const timed = client.track?.victim !== true;
  // Only what is measured is read: the type, a delivery's send time and key, an ack's request id.
  // A delivery as the gateway writes it is read in place, with no object made for it.
  if (deliveries.read(buf, start, end)) {
    if (timed) recorder?.recordDelivery(deliveries.key, at - deliveries.sentAtMs);
    return;
  }
  const frame = peekFrame(buf.subarray(start, end));
  switch (frame.type) {
    case undefined:
      recorder?.error('bad_frame');
      return;
    case 'new_message': {
      if (!timed) return;
      if (frame.sentAtMs !== undefined && frame.key !== undefined) return recorder?.recordDelivery(frame.key, at - frame.sentAtMs);
      const parsed = parseMessageText(frame.textHead ?? '');
      if (parsed) recorder?.recordDelivery(parsed.key, at - parsed.sentAtMs);
      return;
    }
    case 'message_sent': {
      const sentAt = frame.requestId ? pendingAcks.get(frame.requestId) : undefined;
      if (sentAt === undefined || !recorder) return;
      pendingAcks.delete(frame.requestId!);
      recorder.acked += 1;
      recorder.ack.recordMs(at - sentAt);
      return;
    }
    case 'error':
      if (frame.requestId) pendingAcks.delete(frame.requestId);
      recorder?.error(frame.code ?? 'error_frame');
      return;
    case 'ready':
      client.ready = true;
      return;
    default:
      return; // presence, history, typing: not measured here
  }
}

function openClient(spec: ClientSpec, connectHist: LatencyHistogram, errors: Record<string, number>): Promise<boolean> {
  const started = nowMs();
  return new Promise((resolve) => {
    let settled = false;
    let opened = false;
    const settle = (ok: boolean, code?: string) => {
      if (settled) return;
      settled = true;
      opened = ok;
      clearTimeout(timer);
      if (ok) {
        connectHist.recordMs(nowMs() - started);
        clients.push(client);
        // closeAll already has its list (the bench was interrupted while opening): not kept open.
        if (closing) ws.terminate();
      } else {
        errors[code ?? 'open_failed'] = (errors[code ?? 'open_failed'] ?? 0) + 1;
        ws.terminate();
      }
      resolve(ok);
    };
    // The load generator reads a few ASCII fields of each frame (frame-peek.ts): text frames
    // are not checked as UTF-8, and no extension is offered.
    const ws = new RawWsClient(
      spec.url,
      {
        message: (buf, start, end) => {
          onFrame(client, buf, start, end);
          if (client.ready && !settled) settle(true);
        },
        unexpectedResponse: (status) => settle(false, `http_${status}`),
        // After a failed open only the failure counts, not the close that follows it.
        error: (err) => {
          if (!settled) settle(false, err.code ?? 'socket_error');
          else if (opened) recorder?.error(err.code ?? 'socket_error');
        },
        close: (code) => {
          if (!settled) settle(false, `closed_${code}`);
          else if (opened && !closing) {
            recorder?.error(`closed_${code}`);
            scheduleReconnect(client);
          }
          client.onClosed?.();
        },
      },
      { localAddress: spec.localAddress, handshakeTimeoutMs: OPEN_TIMEOUT_MS },
    );
    const client: Client = { ws, spec, ready: false, ...(reconnects ? { track: reconnects.track(spec.url) } : {}) };
    const timer = setTimeout(() => settle(false, 'open_timeout'), OPEN_TIMEOUT_MS);
  });
}

/** A tracked socket closed by the server or the network: reconnect after a jitter (retries back off). */
function scheduleReconnect(client: Client): void {
  const track = client.track;
  if (!track || !reconnects || closing) return;
  client.ready = false;
  reconnects.onClose(track, nowMs());
  const delay = reconnectDelayMs(track.attempt, reconnects.config.spreadMs, Math.random());
  track.timer = setTimeout(() => reconnect(client, track, reconnects!), delay);
}

/** One attempt: the next other gateway, the same token; `ready` then makes the tracker send the resumes. */
function reconnect(client: Client, track: SocketTrack, tracker: ReconnectTracker): void {
  track.timer = undefined;
  if (closing) return;
  tracker.onAttempt();
  track.url = reconnectUrl(track.url, nextGateway(tracker.config.gatewayUrls, track.url, tracker.turn++));
  let failed = false;
  client.ws = new RawWsClient(
    track.url,
    {
      message: (buf, start, end) => onFrame(client, buf, start, end),
      unexpectedResponse: (status) => tracker.error(`reconnect_http_${status}`),
      error: (err) => {
        failed = true;
        tracker.error(`reconnect_${err.code ?? 'socket_error'}`);
      },
      close: (code) => {
        if (!failed && !client.ready) tracker.error(`reconnect_closed_${code}`);
        scheduleReconnect(client);
        client.onClosed?.();
      },
    },
    { localAddress: client.spec.localAddress, handshakeTimeoutMs: OPEN_TIMEOUT_MS },
  );
}

async function open(specs: ClientSpec[], concurrency: number): Promise<void> {
  const connectHist = new LatencyHistogram();
  const errors: Record<string, number> = {};
  let next = 0;
  let failed = 0;
  const lane = async () => {
    while (next < specs.length && !closing) {
      const spec = specs[next++]!;
      if (!(await openClient(spec, connectHist, errors))) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  senders = clients.filter((c) => c.spec.sendChatId !== undefined);
  post({ type: 'opened', worker: WORKER, held: held(), failed, errors, connect: connectHist.snapshot() });
}

function sendOne(): void {
  if (!recorder || senders.length === 0) return;
  const client = senders[nextSender++ % senders.length]!;
  if (client.ws.readyState !== READY_STATE.open) return recorder.error('sender_closed');
  if (client.ws.bufferedAmount > CLIENT_BUFFER_LIMIT) return recorder.error('client_backpressure');
  counter += 1;
  const key = `${WORKER}.${counter}`;
  const at = nowMs();
  flushTick(false, at);
  pendingAcks.set(key, at);
  client.ws.send(
    JSON.stringify({ type: 'message', chat_id: client.spec.sendChatId, text: messageText(at, key, textBytes), request_id: key }),
  );
  recorder.sent += 1;
}

function startSending(ratePerSecond: number, durationMs: number): void {
  const started = nowMs();
  rate = new RateController(ratePerSecond, started);
  let skippedBefore = 0;
  sendTimer = setInterval(() => {
    const now = nowMs();
    if (!rate) return;
    if (now - started >= durationMs) return void stopSending();
    const n = rate.due(now);
    for (let i = 0; i < n; i++) sendOne();
    if (recorder && rate.skipped > skippedBefore) {
      recorder.skipped += rate.skipped - skippedBefore;
      skippedBefore = rate.skipped;
    }
  }, SEND_TICK_MS);
}

function stopSending(): void {
  if (!rate) return; // already stopped (the duration ran out before the coordinator asked)
  if (sendTimer) clearInterval(sendTimer);
  sendTimer = undefined;
  const skipped = rate.skipped;
  rate = undefined;
  // Acks still in flight get a grace period before they count as lost.
  const deadline = nowMs() + 5000;
  const wait = setInterval(() => {
    if (pendingAcks.size === 0 || nowMs() > deadline) {
      clearInterval(wait);
      post({ type: 'send_done', worker: WORKER, unacked: pendingAcks.size, skipped });
      pendingAcks.clear();
    }
  }, 20);
}

async function closeAll(): Promise<void> {
  closing = true;
  if (sendTimer) clearInterval(sendTimer);
  for (const c of clients) if (c.track?.timer) clearTimeout(c.track.timer);
  flushTick(true);
  if (tickTimer) clearInterval(tickTimer);
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === READY_STATE.closed) return resolve();
          const timer = setTimeout(() => {
            c.ws.terminate();
            resolve();
          }, 3000);
          c.onClosed = () => {
            clearTimeout(timer);
            resolve();
          };
          c.ws.close(1000, 'bench done');
        }),
    ),
  );
  post({ type: 'closed', worker: WORKER });
  process.disconnect?.();
}

process.on('message', (message: CoordinatorMessage) => {
  try {
    switch (message.type) {
      case 'open':
        recorder = new SecondRecorder(WORKER, message.epochMs, nowMs());
        reconnects = message.reconnect ? new ReconnectTracker(message.reconnect satisfies ReconnectConfig, WORKER) : undefined;
        tickTimer = setInterval(() => flushTick(), 100);
        void open(message.clients, message.concurrency).catch((err: unknown) =>
          post({ type: 'fatal', worker: WORKER, message: `open failed: ${String(err)}` }),
        );
        return;
      case 'send':
        textBytes = message.textBytes;
        return startSending(message.ratePerSecond, message.durationMs);
      case 'set_rate':
        return rate?.setRate(message.ratePerSecond, nowMs());
      case 'stop_sending':
        return stopSending();
      case 'track_messages':
        if (recorder) recorder.perMessage = message.enabled ? new Map() : undefined;
        return;
      case 'reconnect_report':
        if (!reconnects) throw new Error('reconnect_report: reconnects are off');
        post({ type: 'reconnect_report', worker: WORKER, ...reconnects.report(message.final) });
        return;
      case 'close':
        void closeAll();
        return;
    }
  } catch (err) {
    post({ type: 'fatal', worker: WORKER, message: String(err) });
  }
});

// The coordinator going away must not leave sockets open.
process.on('disconnect', () => {
  if (!closing) process.exit(0);
});
