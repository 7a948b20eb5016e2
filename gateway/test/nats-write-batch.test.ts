import { expect } from 'chai';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats, createLogger } from '@neonchat/common';
import { startNats, waitFor, type RunningServer } from '@neonchat/common/testing';
import { NatsWriteBatch, natsSocket } from '../src/nats-write-batch.js';

const logger = createLogger('test', 'silent');

describe('gateway NATS write batching @integration', () => {
  let server: RunningServer;
  let nc: NatsConnection;
  let listener: NatsConnection;

  before(async () => {
    server = await startNats();
    nc = await connectNats({ url: server.url, name: 'write-batch-test', logger });
    listener = await connectNats({ url: server.url, name: 'write-batch-listener', logger });
  });

  after(async () => {
    await nc?.close();
    await listener?.close();
    await server?.stop();
  });

  it('finds the TCP socket under a nats-core connection (the internals it relies on are still there)', () => {
    const socket = natsSocket(nc);
    expect(socket, 'nats-core protocol.transport.socket').to.not.equal(undefined);
    expect(socket!.remotePort).to.equal(Number(new URL(server.url).port));
  });

  it('queues what separate callbacks of one turn publish, writes it in one go at the end of the turn, and loses nothing', async () => {
    const got: string[] = [];
    const sub = listener.subscribe('batch.test', { callback: (_err, msg) => got.push(msg.string()) });
    await listener.flush();
    const socket = natsSocket(nc)!;
    const batch = new NatsWriteBatch(nc);
    // Count the stream's calls into the handle: one `_writev` for the batch, no `_write`s.
    const calls = { write: 0, writev: 0 };
    const spied = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const [write, writev] = [spied._write, spied._writev];
    spied._write = function (this: unknown, ...a: unknown[]) {
      calls.write += 1;
      return write.apply(this, a);
    };
    spied._writev = function (this: unknown, ...a: unknown[]) {
      calls.writev += 1;
      return writev.apply(this, a);
    };
    // As uWS calls the message handler once per frame, each publish in its own microtask turn.
    for (let i = 0; i < 50; i++) {
      batch.hold();
      nc.publish('batch.test', `m${i}`);
      await Promise.resolve();
    }
    expect(socket.writableCorked, 'corked for the rest of the turn').to.equal(1);
    expect(calls, 'nothing handed to the socket yet').to.deep.equal({ write: 0, writev: 0 });
    await new Promise((r) => setImmediate(r));
    expect(socket.writableCorked).to.equal(0);
    await waitFor(() => got.length === 50, { what: 'every message' });
    spied._write = write;
    spied._writev = writev;
    expect(calls, 'one write for the 50 publishes').to.deep.equal({ write: 0, writev: 1 });
    expect(got).to.deep.equal(Array.from({ length: 50 }, (_, i) => `m${i}`));
    sub.unsubscribe();
  });

  it('does nothing without a socket (internals of another shape)', () => {
    const batch = new NatsWriteBatch({ protocol: {} } as unknown as NatsConnection);
    expect(() => batch.hold()).to.not.throw();
    expect(natsSocket({} as NatsConnection)).to.equal(undefined);
  });
});
