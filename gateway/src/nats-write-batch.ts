import type { Socket } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';

/** The parts of nats-core 3.x's connection we reach into: its protocol handler's transport socket. */
interface NatsInternals {
  readonly protocol?: { readonly transport?: { readonly socket?: unknown } };
}

/**
 * The TCP socket under a nats-core connection, or undefined if nats-core's internals do not
 * have the shape this relies on (then nothing is batched and everything works as before).
 * `gateway/test/nats-write-batch.test.ts` pins the shape against a real nats-server, so an
 * upgrade that changes it fails a test instead of silently losing the batching.
 */
export function natsSocket(nc: NatsConnection): Socket | undefined {
  const socket = (nc as unknown as NatsInternals).protocol?.transport?.socket;
  if (socket === null || typeof socket !== 'object') return undefined;
  const s = socket as Partial<Socket>;
  return typeof s.cork === 'function' && typeof s.uncork === 'function' && typeof s.write === 'function' ? (socket as Socket) : undefined;
}

/**
 * One write to NATS per turn of the event loop for everything the client frames of that turn
 * publish. nats-core flushes its outbound buffer in a microtask, so each client frame (each is
 * its own call from uWS) makes its own socket write: at thousands of frames per second that is
 * thousands of loopback writes, each waking nats-server. `hold()` corks the socket for the rest
 * of the turn; it is uncorked in `setImmediate`, after the poll phase has handled every socket
 * that was ready, and Node writes what was queued with one `writev`. Nothing waits longer than
 * the current turn.
 */
export class NatsWriteBatch {
  private held: Socket | undefined;

  constructor(private readonly nc: NatsConnection) {}

  /** Batches the connection's writes until the end of this event-loop turn. */
  hold(): void {
    if (this.held) return;
    const socket = natsSocket(this.nc);
    if (!socket || socket.destroyed) return;
    this.held = socket;
    socket.cork();
    setImmediate(() => this.release());
  }

  private release(): void {
    const socket = this.held;
    this.held = undefined;
    // A socket nats-core replaced meanwhile (reconnect) is uncorked all the same: it is closed.
    socket?.uncork();
  }
}
