/**
 * The bench's client worker process (bench-worker.ts) end to end: forked as the bench forks it,
 * its sockets served by a hand-written WebSocket server that writes frames byte by byte as a
 * test wants them (several in one write, one cut over writes, fragmented around a ping, masked,
 * a close with a code). What the worker reports per second must count every delivery with its
 * latency from the send time in the text, every message per key, errors by code and close codes.
 */
import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from '../src/load/latency-histogram.js';
import { messageText, nowMs, type CoordinatorMessage, type WorkerMessage, type WorkerTick } from '../src/load/worker-protocol.js';

const WORKER = fileURLToPath(new URL('../src/load/bench-worker.ts', import.meta.url));

/** An unmasked server frame, written here independently of the client's parser. */
function frame(opcode: number, payload: Buffer | string, { fin = true, mask = false } = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = body.length < 126 ? Buffer.from([0, body.length]) : Buffer.from([0, 126, body.length >> 8, body.length & 0xff]);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (!mask) return Buffer.concat([head, body]);
  head[1]! |= 0x80;
  return Buffer.concat([head, Buffer.from([9, 8, 7, 6]), Buffer.from(body.map((b, i) => b ^ [9, 8, 7, 6][i & 3]!))]);
}

/** A delivery as the gateway writes it, sent `ageMs` before now by the bench's clock. */
function delivery(key: string, ageMs = 50): string {
  const text = messageText(nowMs() - ageMs, key, 80);
  return `{"type":"new_message","message":{"id":"0190c0de-0000-7000-8000-000000000009","chat_id":"c","sender_id":"s","text":"${text}","created_at":"2026-12-01T12:00:00.000Z","seq":3,"updated_at":null}}`;
}

const TEXT = 0x1;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;

describe('bench client worker (load generator, end to end) @integration', function () {
  this.timeout(20000);
  let server: Server;
  let port = 0;
  const sockets: Socket[] = [];
  let worker: ChildProcess;
  const messages: WorkerMessage[] = [];

  const next = <T extends WorkerMessage['type']>(type: T, timeoutMs = 10000) =>
    new Promise<Extract<WorkerMessage, { type: T }>>((resolve, reject) => {
      const found = messages.find((m) => m.type === type);
      if (found) return resolve(found as Extract<WorkerMessage, { type: T }>);
      const timer = setTimeout(() => reject(new Error(`no ${type} from the worker`)), timeoutMs);
      const listener = (m: WorkerMessage) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        worker.off('message', listener);
        resolve(m as Extract<WorkerMessage, { type: T }>);
      };
      worker.on('message', listener);
    });
  const send = (m: CoordinatorMessage) => worker.send(m);
  const ticks = () => messages.filter((m): m is WorkerTick => m.type === 'tick');
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  before(async () => {
    server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        const key = /sec-websocket-key: (\S+)/i.exec(head)![1]!;
        const acceptKey = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey}\r\n\r\n`,
        );
        socket.write(frame(TEXT, '{"type":"ready","user_id":"u"}'));
        sockets.push(socket);
        // The client's close frame (masked, FIN): the server ends its side, as the gateway does.
        socket.on('data', (data: Buffer) => {
          if (data[0] === 0x88) socket.end();
        });
      };
      socket.on('data', onData);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    worker = fork(WORKER, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, BENCH_WORKER_INDEX: '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    worker.on('message', (m: WorkerMessage) => messages.push(m));
  });

  after(async () => {
    worker.kill();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('counts every delivery with its latency, per message, and errors and closes by code', async () => {
    const url = `ws://127.0.0.1:${port}/ws?token=t`;
    send({ type: 'open', clients: [0, 1, 2].map(() => ({ url, localAddress: '127.0.0.1' })), concurrency: 1, epochMs: nowMs() });
    const opened = await next('opened');
    expect(opened).to.include({ held: 3, failed: 0 });
    send({ type: 'track_messages', enabled: true });
    await pause(50);
    const [a, b, c] = sockets as [Socket, Socket, Socket];
    // A: three deliveries in one write; one cut in three writes (in its header, then in its
    // text); one fragmented around a ping; an error frame; a new_message that is not the bench's.
    a.write(Buffer.concat([frame(TEXT, delivery('0.1')), frame(TEXT, delivery('0.2')), frame(TEXT, delivery('0.1'))]));
    const cut = frame(TEXT, delivery('0.3'));
    a.write(cut.subarray(0, 1));
    await pause(30);
    a.write(cut.subarray(1, 70));
    await pause(30);
    a.write(cut.subarray(70));
    const whole = delivery('0.4');
    a.write(
      Buffer.concat([
        frame(TEXT, whole.slice(0, 100), { fin: false }),
        frame(PING, 'p'),
        frame(CONTINUATION, whole.slice(100), { fin: true }),
        frame(TEXT, '{"type":"error","code":"rate_limited","message":"slow down"}'),
        frame(TEXT, '{"type":"new_message","message":{"text":"hello|there|"}}'),
      ]),
    );
    // B: a delivery, then a masked frame (refused: close 1002). C: a delivery, then close 4008.
    b.write(Buffer.concat([frame(TEXT, delivery('0.1')), frame(TEXT, 'x', { mask: true })]));
    c.write(Buffer.concat([frame(TEXT, delivery('0.2')), frame(CLOSE, Buffer.from([4008 >> 8, 4008 & 0xff]))]));

    const expectedErrors = { rate_limited: 1, ws_masked_frame: 1, closed_1002: 1, closed_4008: 1 };
    const totals = () => {
      const errors: Record<string, number> = {};
      const perMessage: Record<string, number> = {};
      const latency = new LatencyHistogram();
      let delivered = 0;
      for (const t of ticks()) {
        delivered += t.delivered;
        latency.add(t.delivery);
        for (const [code, n] of Object.entries(t.errors)) errors[code] = (errors[code] ?? 0) + n;
        for (const [key, [n]] of Object.entries(t.perMessage ?? {})) perMessage[key] = (perMessage[key] ?? 0) + n;
      }
      return { delivered, errors, perMessage, latency };
    };
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline && (totals().delivered < 7 || Object.keys(totals().errors).length < 4)) await pause(100);
    await pause(300); // anything counted twice would show by now
    const seen = totals();
    expect(seen.delivered).to.equal(7);
    expect(seen.perMessage).to.deep.equal({ '0.1': 3, '0.2': 2, '0.3': 1, '0.4': 1 });
    expect(seen.errors).to.deep.equal(expectedErrors);
    // Each was written 50 ms after its send time (the test and the worker read one wall clock,
    // within a millisecond); the split one waited 60 ms more in the server. The upper bounds
    // leave room for a busy machine.
    expect(seen.latency.count).to.equal(7);
    expect(seen.latency.percentileMs(0)).to.be.within(48, 150);
    expect(seen.latency.maxMs).to.be.within(108, 1000);

    send({ type: 'close' });
    await next('closed');
    // Closing its own sockets is not an error.
    await pause(200);
    expect(totals().errors).to.deep.equal(expectedErrors);
  });
});
