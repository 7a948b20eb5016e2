import { randomUUID } from 'node:crypto';
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type ConsumerConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { NeonError, STREAMS, SUBJECTS, decodeChatEvent, type ChatEvent } from '@neonchat/common/contracts';

export interface StreamReadOptions {
  /** First stream sequence to read (inclusive). */
  readonly fromSeq?: number;
  /** Or: the first event stored at or after this instant. */
  readonly fromTime?: Date;
  /** Refuse (without reading) when more events than this wait after the start. */
  readonly maxEvents?: number;
}

export type StreamReadResult =
  { readonly tooFar: true; readonly pending: number } | { readonly tooFar: false; readonly count: number; readonly lastSeq: number };

/** Stored events are small; a pull of this many keeps the replay streaming without a round trip each. */
const PULL_BATCH = 256;

/**
 * Reads one chat's events from the CHAT_EVENTS stream, in stream order, through a short-lived
 * ephemeral consumer filtered on `chat.{id}.events` (no acks, memory storage, deleted at the
 * end). Stops at the end of the stream as of the read. This is how a gateway serves resume and
 * fills the tail the persister hasn't written yet, so it works while the persister is stopped.
 * `onEvent` may return a promise to pause the read (a socket's send buffer draining).
 */
export async function readChatEvents(
  js: JetStreamClient,
  jsm: JetStreamManager,
  chatId: string,
  options: StreamReadOptions,
  onEvent: (seq: number, event: ChatEvent) => void | Promise<void>,
): Promise<StreamReadResult> {
  const config: Partial<ConsumerConfig> = {
    name: `gw_read_${randomUUID().replaceAll('-', '')}`,
    filter_subject: SUBJECTS.chatEvents(chatId),
    ack_policy: AckPolicy.None,
    mem_storage: true,
    num_replicas: 1,
    // Cleans up after a gateway that died mid-read.
    inactive_threshold: nanos(30_000),
    ...(options.fromTime
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.fromTime.toISOString() }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, options.fromSeq ?? 1) }),
  };
  let info;
  try {
    info = await jsm.consumers.add(STREAMS.chatEvents, config);
  } catch (err) {
    throw new NeonError('unavailable', 'the message stream is not reachable, retry shortly', { cause: err });
  }
  try {
    const pending = info.num_pending;
    if (options.maxEvents !== undefined && pending > options.maxEvents) return { tooFar: true, pending };
    if (pending === 0) return { tooFar: false, count: 0, lastSeq: 0 };
    const consumer = js.consumers.getConsumerFromInfo(info);
    const messages = await consumer.consume({ max_messages: Math.min(PULL_BATCH, pending) });
    let count = 0;
    let lastSeq = 0;
    let lastDelivery = 0;
    try {
      for await (const m of messages) {
        // Without acks nothing is redelivered: a hole in the delivery sequence means a lost pull.
        if (m.info.deliverySequence !== lastDelivery + 1) throw new NeonError('unavailable', 'stream read interrupted, retry');
        lastDelivery = m.info.deliverySequence;
        const event = decodeChatEvent(m.data);
        if (event) {
          await onEvent(m.seq, event);
          count += 1;
        }
        lastSeq = m.seq;
        if (m.info.pending === 0) break;
      }
    } finally {
      messages.stop();
    }
    return { tooFar: false, count, lastSeq };
  } finally {
    jsm.consumers.delete(STREAMS.chatEvents, info.name).catch(() => {
      // The inactive threshold removes it anyway; nothing to do for the caller.
    });
  }
}
