import { expect } from 'chai';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import type { ErrorCode, ServerFrame } from '@neonchat/common';
import { FrameRouter } from '../src/frame-router.js';
import type { FrameHandlers } from '../src/frame-handlers.js';
import { createGatewayMetrics } from '../src/metrics.js';
import type { Outbound } from '../src/outbound.js';
import type { Socket } from '../src/socket-registry.js';
import type { SocketState } from '../src/socket-state.js';
import { TokenBucket } from '../src/rate-limit.js';

/** The router alone, over a fake socket and outbound: no I/O, so plain fakes. */
function harness(handlers: Partial<FrameHandlers>) {
  const sent: Array<{ code: ErrorCode; message: string; requestId?: string }> = [];
  const frames: ServerFrame[] = [];
  const outbound = {
    error: (_ws: Socket, code: ErrorCode, message: string, requestId?: string) => sent.push({ code, message, requestId }),
    frame: (_ws: Socket, frame: ServerFrame) => frames.push(frame),
  } as unknown as Outbound;
  const registry = new Registry();
  const metrics = createGatewayMetrics(registry);
  const logs: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  );
  const state = {
    connectionId: 'c1',
    userId: '01890000-0000-7000-8000-000000000001',
    bucket: new TokenBucket(1000, 1000),
    ready: true,
    early: [],
    closed: false,
  } as unknown as SocketState;
  const ws = { getUserData: () => state, end: () => undefined } as unknown as Socket;
  const router = new FrameRouter(handlers as FrameHandlers, outbound, metrics, logger, 64 * 1024);
  const send = (text: string) => router.handle(ws, new TextEncoder().encode(text).buffer as ArrayBuffer);
  return { router, ws, state, sent, frames, registry, logs, send };
}

async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values as Array<{ labels: Record<string, string>; value: number }> | undefined)?.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value ?? 0;
}

describe('gateway frame router (hostile frames)', () => {
  it('answers an unknown type of any shape without quoting it, whatever its depth', () => {
    const h = harness({});
    h.send(`{"type":${'['.repeat(20000)}${']'.repeat(20000)},"request_id":"deep"}`);
    h.send(`{"type":"${'x'.repeat(60000)}","request_id":"long"}`);
    expect(h.sent.map((s) => s.code)).to.deep.equal(['unknown_type', 'unknown_type']);
    expect(h.sent.map((s) => s.requestId)).to.deep.equal(['deep', 'long']);
    for (const s of h.sent) expect(s.message.length).to.be.below(120);
  });

  it('catches a handler that throws, synchronously or not: counted as internal, answered, logged without the frame', async () => {
    const h = harness({
      ping: () => {
        throw new Error('boom');
      },
      presence: async () => {
        throw new TypeError('async boom');
      },
    });
    h.send('{"type":"ping","request_id":"p1"}');
    h.send('{"type":"presence","status":"away"}');
    await new Promise((r) => setImmediate(r));
    expect(h.sent.map((s) => [s.code, s.requestId])).to.deep.equal([
      ['internal', 'p1'],
      ['internal', undefined],
    ]);
    expect(await counter(h.registry, 'neonchat_gateway_internal_errors_total', { where: 'frame_ping' })).to.equal(1);
    expect(await counter(h.registry, 'neonchat_gateway_internal_errors_total', { where: 'frame_presence' })).to.equal(1);
  });

  it('answers an outage in a handler as unavailable, not internal', async () => {
    const h = harness({
      ping: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    });
    h.send('{"type":"ping","request_id":"p2"}');
    await new Promise((r) => setImmediate(r));
    expect(h.sent).to.deep.equal([{ code: 'unavailable', message: 'temporarily unavailable, retry shortly', requestId: 'p2' }]);
  });

  it('refuses binary frames and does not echo a request_id that is not one', () => {
    const h = harness({ ping: () => undefined });
    h.router.handle(h.ws, new TextEncoder().encode('{"type":"ping"}').buffer as ArrayBuffer, true);
    h.send('{"type":"nope","request_id":"line\\nbreak"}');
    h.send(`{"type":"nope","request_id":"${'r'.repeat(129)}"}`);
    expect(h.sent.map((s) => [s.code, s.requestId])).to.deep.equal([
      ['validation_failed', undefined],
      ['unknown_type', undefined],
      ['unknown_type', undefined],
    ]);
  });

  it('lower-cases ids before the handler sees them', async () => {
    const seen: string[] = [];
    const h = harness({ open: (_ws, frame) => void seen.push(frame.chat_id) });
    h.send('{"type":"open","chat_id":"0189ABCD-0000-7000-8000-00000000000A"}');
    await new Promise((r) => setImmediate(r));
    expect(seen).to.deep.equal(['0189abcd-0000-7000-8000-00000000000a']);
  });

  it('holds frames that arrive before ready, and handles them in order after it', async () => {
    const order: string[] = [];
    const h = harness({ ping: (_ws, frame) => void order.push(frame.request_id ?? '') });
    h.state.ready = false;
    h.send('{"type":"ping","request_id":"a"}');
    h.send('{"type":"ping","request_id":"b"}');
    expect(order).to.deep.equal([]);
    h.state.ready = true;
    h.router.releaseEarly(h.ws);
    await new Promise((r) => setImmediate(r));
    expect(order).to.deep.equal(['a', 'b']);
  });
});
