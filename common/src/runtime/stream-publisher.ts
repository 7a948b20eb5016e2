import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import type { PubAck } from '@nats-io/jetstream';

/** Why the stream did not take a publish. */
export type StreamPublishFailure = 'timeout' | 'no_stream' | 'refused' | 'closed';

/** A publish the stream did not ack: `reason` says why, `code` is the JetStream `err_code` if it refused. */
export class StreamPublishError extends Error {
  override readonly name = 'StreamPublishError';
  constructor(
    message: string,
    readonly reason: StreamPublishFailure,
    readonly code?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface StreamPublisherOptions {
  /** A publish not acked within this is rejected with `timeout` (it may still have been stored). */
  readonly timeoutMs: number;
}

interface Outgoing {
  readonly subject: string;
  readonly data: string | Uint8Array;
  readonly headers: MsgHdrs | undefined;
  readonly token: string;
}

interface Pending {
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (err: StreamPublishError) => void;
  readonly subject: string;
  readonly deadline: number;
}

/** The JSON a stream answers a publish with (`PubAck`, or the API error). */
interface PubAckReply {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  domain?: string;
  error?: { code?: number; err_code?: number; description?: string };
}

/** Deadlines are checked this often (a fraction of the timeout, within these bounds). */
const MIN_TICK_MS = 5;
const MAX_TICK_MS = 100;

/**
 * Pipelined JetStream publishing with the same contract as `js.publish`: the promise resolves
 * with the stream's PubAck, i.e. once the event is stored (and deduplicated by `Nats-Msg-Id`),
 * and rejects if the stream refused it, does not exist, or did not answer in time.
 *
 * What it saves per message, against a request per publish: one wildcard inbox subscription for
 * all acks (correlated by the reply subject's last token), no per-request timer or error object
 * (one interval checks deadlines; with a single timeout, insertion order is deadline order, so a
 * tick looks only at the expired head of the map), nothing waits for the previous ack, and the
 * publishes of one event-loop turn leave in one socket write.
 */
export class StreamPublisher {
  private readonly prefix = createInbox();
  private readonly tokenAt = this.prefix.length + 1;
  private readonly pending = new Map<string, Pending>();
  private readonly tickMs: number;
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private closed = false;
  /** Publishes of this event-loop turn, written to the connection together (one socket write). */
  private outbox: Outgoing[] = [];
  private readonly sendOutbox = (): void => this.send();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: StreamPublisherOptions,
  ) {
    this.tickMs = Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.floor(options.timeoutMs / 10)));
    void nc.closed().then(() => this.close());
  }

  /** Publishes not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** When the oldest publish not answered yet was made (performance.now() ms), undefined if none. */
  oldestInFlightAt(): number | undefined {
    // Insertion order is publish order, and every deadline is the same timeout after it.
    for (const pending of this.pending.values()) return pending.deadline - this.options.timeoutMs;
    return undefined;
  }

  /** `headers` carries `Nats-Msg-Id` (dedup) and whatever else the caller sets. */
  publish(subject: string, data: string | Uint8Array, headers?: MsgHdrs): Promise<PubAck> {
    if (this.closed) return Promise.reject(new StreamPublishError('the NATS connection is closed', 'closed'));
    this.sub ??= this.nc.subscribe(`${this.prefix}.*`, { callback: (err, msg) => this.answer(err, msg) });
    const token = (this.next++).toString(36);
    return new Promise<PubAck>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, subject, deadline: performance.now() + this.options.timeoutMs });
      if (this.outbox.length === 0) setImmediate(this.sendOutbox);
      this.outbox.push({ subject, data, headers, token });
      this.timer ??= setInterval(() => this.expire(), this.tickMs).unref();
    });
  }

  /**
   * nats-core writes what was published once per microtask checkpoint, and uWS runs one for
   * every frame it hands us: published as they come, 1,000 messages/s were 1,000 socket writes.
   * Held until the end of the loop turn, the frames of one read from the clients go out in one.
   */
  private send(): void {
    const outbox = this.outbox;
    this.outbox = [];
    for (const out of outbox) {
      const reply = `${this.prefix}.${out.token}`;
      try {
        this.nc.publish(out.subject, out.data, out.headers ? { reply, headers: out.headers } : { reply });
      } catch (err) {
        const pending = this.pending.get(out.token);
        this.pending.delete(out.token);
        pending?.reject(new StreamPublishError(`could not publish to ${out.subject}`, 'closed', undefined, { cause: err }));
      }
    }
  }

  /** Rejects everything in flight with `closed` and stops; later publishes fail at once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.sub && !this.sub.isClosed()) this.sub.unsubscribe();
    this.outbox = [];
    this.failAll('closed', 'the NATS connection closed before the stream answered');
  }

  private answer(err: Error | null, msg: Msg): void {
    if (err) {
      // The inbox subscription itself failed (permissions, connection closed): nobody can be
      // answered on it; the next publish subscribes again.
      this.sub = undefined;
      this.failAll('closed', 'the ack subscription failed', err);
      return;
    }
    const token = msg.subject.substring(this.tokenAt);
    const pending = this.pending.get(token);
    // Answered after its timeout: the caller was told `timeout`, a resend is deduplicated.
    if (!pending) return;
    this.pending.delete(token);
    if (msg.headers?.code === 503) {
      pending.reject(new StreamPublishError(`no stream takes ${pending.subject}`, 'no_stream'));
      return;
    }
    let reply: PubAckReply;
    try {
      reply = msg.json<PubAckReply>();
    } catch (cause) {
      pending.reject(new StreamPublishError(`unreadable ack for ${pending.subject}`, 'refused', undefined, { cause }));
      return;
    }
    if (reply.error || typeof reply.stream !== 'string' || typeof reply.seq !== 'number') {
      const description = reply.error?.description ?? 'not a PubAck';
      pending.reject(new StreamPublishError(`the stream refused ${pending.subject}: ${description}`, 'refused', reply.error?.err_code));
      return;
    }
    const ack: PubAck = { stream: reply.stream, seq: reply.seq, duplicate: reply.duplicate === true };
    if (reply.domain) ack.domain = reply.domain;
    pending.resolve(ack);
  }

  private expire(): void {
    const now = performance.now();
    for (const [token, pending] of this.pending) {
      // One timeout for all: the map's insertion order is deadline order.
      if (pending.deadline > now) return;
      this.pending.delete(token);
      pending.reject(new StreamPublishError(`no ack for ${pending.subject} within ${this.options.timeoutMs} ms`, 'timeout'));
    }
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private failAll(reason: StreamPublishFailure, message: string, cause?: unknown): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new StreamPublishError(`${message} (${p.subject})`, reason, undefined, { cause }));
  }
}
