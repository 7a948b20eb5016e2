import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { NeonError, SUBJECTS, injectTraceContext, type ChatEvent } from '@neonchat/common';

const PUBLISH_TIMEOUT_MS = 5000;

/**
 * Publishes edits, deletes and read marks on the chat's stream subject and waits for the
 * stream's ack: once this returns the change is durable, the persister will apply it and the
 * gateways fan it out in stream order. A change the stream did not take is a 503 the client
 * may retry.
 */
export class ChatEventPublisher {
  private readonly js: JetStreamClient;

  constructor(nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  async publish(event: ChatEvent, dedupId?: string): Promise<number> {
    const headers = natsHeaders();
    injectTraceContext(headers);
    try {
      const ack = await this.js.publish(SUBJECTS.chatEvents(event.chat_id), JSON.stringify(event), {
        headers,
        timeout: PUBLISH_TIMEOUT_MS,
        ...(dedupId ? { msgID: dedupId } : {}),
      });
      return ack.seq;
    } catch (err) {
      throw new NeonError('unavailable', 'the change was not stored, retry', { cause: err });
    }
  }
}
