import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { PubHeaders, type JetStreamManager, type PubAck } from '@nats-io/jetstream';
import { decodeChatEvent, type ChatEvent } from '../contracts/chat-events.js';
import { NeonError } from '../contracts/error-codes.js';
import { ORIGIN_CONNECTION_HEADER, STREAMS, SUBJECTS } from '../contracts/subjects.js';
import { EncodedHeaders } from './encoded-headers.js';
import { injectTraceContext, inSpan, isTracingEnabled, SpanKind } from './tracing.js';
import { StreamPublisher } from './stream-publisher.js';

/** A publish the stream has not acked within this is answered `unavailable` (the client retries). */
export const CHAT_EVENT_PUBLISH_TIMEOUT_MS = 5000;

/**
 * The one way a chat event enters the CHAT_EVENTS stream, for the gateway and the api alike:
 * one subject, one timeout, one producer span whose context travels in the headers, one error
 * (`unavailable`, safe to retry) when the stream did not take it. Once `publish` resolves the
 * event is durable: the persister will write it and gateways fan it out in stream order.
 */
export class ChatEventPublisher {
  private readonly stream: StreamPublisher;

  constructor(
    nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    timeoutMs = CHAT_EVENT_PUBLISH_TIMEOUT_MS,
  ) {
    this.stream = new StreamPublisher(nc, { timeoutMs });
  }

  /** Publishes waiting for their ack. */
  get inFlight(): number {
    return this.stream.inFlight;
  }

  /** When the oldest publish waiting for its ack was made (performance.now() ms), undefined if none. */
  oldestInFlightAt(): number | undefined {
    return this.stream.oldestInFlightAt();
  }

  /**
   * `dedupId` becomes `Nats-Msg-Id`: a resend with the same id inside the stream's duplicate
   * window is stored once, and its ack says `duplicate` with the first copy's sequence.
   * `originConnection` names the gateway connection it came from, so fan-out can leave that
   * socket out. `json`, if given, is `JSON.stringify(event)` made by a caller that needs it
   * too. Positional, not an options object: this is every message's path.
   */
  publish(event: ChatEvent, dedupId?: string, originConnection?: string, json?: string): Promise<PubAck> {
    const subject = SUBJECTS.chatEvents(event.chat_id);
    const data = json ?? JSON.stringify(event);
    // Without an exporter there is no span to make or context to carry: the message path skips
    // the span machinery and writes its headers in wire form at once.
    if (!isTracingEnabled()) return this.store(subject, data, this.untracedHeaders(dedupId, originConnection));
    return inSpan(
      'chat.event publish',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': subject,
          'neonchat.chat_id': event.chat_id,
        },
      },
      () => {
        const headers = natsHeaders();
        if (originConnection !== undefined) headers.set(ORIGIN_CONNECTION_HEADER, originConnection);
        if (dedupId !== undefined) headers.set(PubHeaders.MsgIdHdr, dedupId);
        injectTraceContext(headers);
        return this.store(subject, data, headers);
      },
    );
  }

  private async store(subject: string, data: string, headers: MsgHdrs): Promise<PubAck> {
    try {
      return await this.stream.publish(subject, data, headers);
    } catch (err) {
      throw new NeonError('unavailable', 'not stored, retry (with the same request_id)', { cause: err });
    }
  }

  private untracedHeaders(dedupId: string | undefined, originConnection: string | undefined): MsgHdrs {
    const pairs: Array<[string, string]> = [];
    if (originConnection !== undefined) pairs.push([ORIGIN_CONNECTION_HEADER, originConnection]);
    if (dedupId !== undefined) pairs.push([PubHeaders.MsgIdHdr, dedupId]);
    const encoded = EncodedHeaders.of(pairs);
    if (encoded) return encoded.asMsgHdrs();
    const headers = natsHeaders();
    for (const [name, value] of pairs) headers.set(name, value);
    return headers;
  }

  /**
   * The event stored at `seq`: what a duplicate ack points at (the first copy of a resend),
   * or undefined if it is gone or not a chat event.
   */
  async stored(seq: number): Promise<ChatEvent | undefined> {
    const msg = await this.jsm.streams.getMessage(STREAMS.chatEvents, { seq });
    return msg ? decodeChatEvent(msg.data) : undefined;
  }
}
