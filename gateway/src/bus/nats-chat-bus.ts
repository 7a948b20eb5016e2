import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, nanos, type Msg, type NatsConnection } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  RepublishHeaders,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { NeonError, ORIGIN_CONNECTION_HEADER, STREAMS, SUBJECTS } from '@neonchat/common/contracts';
import type { Registry } from 'prom-client';
import { ChatEventPublisher, HeaderView, connectNats, verifyStreams, watchNatsConnection, type Logger } from '@neonchat/common/runtime';
import type { BusSubscription, ChatBus, LiveHandler, StoredRecordHandler, StreamRange, StreamRangeResult } from './chat-bus.js';

/** Stored events are small; a pull of this many keeps a range read streaming without a round trip each. */
const PULL_BATCH = 256;

/**
 * The gateway's bus on NATS: JetStream for the chat stream (publish with ack and `Nats-Msg-Id`,
 * range reads through short-lived ephemeral consumers), core NATS for the stream's republished
 * live events, typing and the other services' announcements.
 */
export class NatsChatBus implements ChatBus {
  readonly events: ChatEventPublisher;

  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly logger: Logger,
    publishTimeoutMs: number,
  ) {
    this.events = new ChatEventPublisher(nc, jsm, publishTimeoutMs);
  }

  /** Connects (reconnecting for ever, as every service), counts the connection's state in `registry`, waits for the chat stream. */
  static async connect(options: {
    url: string;
    name: string;
    registry: Registry;
    logger: Logger;
    publishTimeoutMs: number;
    streamWaitMs: number;
  }): Promise<NatsChatBus> {
    const nc = await connectNats({ url: options.url, name: options.name, logger: options.logger });
    watchNatsConnection(options.registry, nc);
    await verifyStreams(nc, { timeoutMs: options.streamWaitMs, logger: options.logger });
    return NatsChatBus.over(nc, options.logger, options.publishTimeoutMs);
  }

  /** Over a connection made elsewhere (tests). */
  static async over(nc: NatsConnection, logger: Logger, publishTimeoutMs: number): Promise<NatsChatBus> {
    return new NatsChatBus(nc, jetstream(nc), await jetstreamManager(nc), logger, publishTimeoutMs);
  }

  get usable(): boolean {
    return !this.nc.isClosed() && !this.nc.isDraining();
  }

  subscribeLive(chatId: string, handler: LiveHandler): BusSubscription {
    return this.nc.subscribe(SUBJECTS.liveChat(chatId), {
      callback: (err, msg) => {
        if (err) return this.logger.error({ err, chat_id: chatId }, 'live subscription failed');
        dispatchLive(msg, handler);
      },
    });
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  /**
   * Through an ephemeral consumer filtered on `chat.{id}.events` (no acks, memory storage,
   * deleted at the end): works while the persister is stopped, and stops at the end of the
   * stream as of the read.
   */
  async readRange(chatId: string, range: StreamRange, onRecord: StoredRecordHandler): Promise<StreamRangeResult> {
    const config: Partial<ConsumerConfig> = {
      name: `gw_read_${randomUUID().replaceAll('-', '')}`,
      filter_subject: SUBJECTS.chatEvents(chatId),
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      // Cleans up after a gateway that died mid-read.
      inactive_threshold: nanos(30_000),
      ...(range.fromTime
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: range.fromTime.toISOString() }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, range.fromSeq ?? 1) }),
    };
    let info;
    try {
      info = await this.jsm.consumers.add(STREAMS.chatEvents, config);
    } catch (err) {
      throw new NeonError('unavailable', 'the message stream is not reachable, retry shortly', { cause: err });
    }
    try {
      const pending = info.num_pending;
      if (range.maxEvents !== undefined && pending > range.maxEvents) return { tooFar: true, pending };
      if (pending === 0) return { tooFar: false, count: 0, lastSeq: 0 };
      const messages = await this.js.consumers.getConsumerFromInfo(info).consume({ max_messages: Math.min(PULL_BATCH, pending) });
      let count = 0;
      let lastSeq = 0;
      let lastDelivery = 0;
      try {
        for await (const m of messages) {
          // Without acks nothing is redelivered: a hole in the delivery sequence means a lost pull.
          if (m.info.deliverySequence !== lastDelivery + 1) throw new NeonError('unavailable', 'stream read interrupted, retry');
          lastDelivery = m.info.deliverySequence;
          await onRecord(m.seq, m.data);
          count += 1;
          lastSeq = m.seq;
          if (m.info.pending === 0) break;
        }
      } finally {
        messages.stop();
      }
      return { tooFar: false, count, lastSeq };
    } finally {
      this.jsm.consumers.delete(STREAMS.chatEvents, info.name).catch(() => {
        // The inactive threshold removes it anyway; nothing to do for the caller.
      });
    }
  }

  publishTyping(chatId: string, json: string, origin: string): void {
    if (this.nc.isClosed()) return;
    const headers = natsHeaders();
    headers.set(ORIGIN_CONNECTION_HEADER, origin);
    this.nc.publish(SUBJECTS.liveTyping(chatId), json, { headers });
  }

  publish(subject: string, json: string): void {
    if (!this.usable) return;
    this.nc.publish(subject, json);
  }

  subscribe(subject: string, onData: (data: Uint8Array) => void): BusSubscription {
    return this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return this.logger.error({ err, subject }, 'bus subscription failed');
        onData(msg.data);
      },
    });
  }

  onReconnect(listener: () => void): void {
    void (async () => {
      for await (const status of this.nc.status()) if (status.type === 'reconnect') listener();
    })();
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(async (err: unknown) => {
      // NATS is away: close for good, or its reconnect timers keep the process alive.
      this.logger.error({ err }, 'nats drain failed');
      await this.nc.close();
    });
  }
}

/**
 * One live message to its handler: the stream's republish headers read without nats-core's
 * header map (`HeaderView`), nothing else made per message.
 */
function dispatchLive(msg: Msg, handler: LiveHandler): void {
  const headers = HeaderView.of(msg);
  const origin = headers.get(ORIGIN_CONNECTION_HEADER);
  if (msg.subject.endsWith('.typing')) return handler.typing(msg.data, origin);
  const lastHeader = headers.get(RepublishHeaders.LastSequence);
  handler.event(Number(headers.get(RepublishHeaders.Sequence)), lastHeader ? Number(lastHeader) : undefined, msg.data, origin);
}
