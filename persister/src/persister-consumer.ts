import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamManager } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS } from '@neonchat/common/contracts';
import { isJetStreamApiError, JS_API_CODES } from '@neonchat/common/runtime';

const NANOS_PER_MS = 1_000_000;

/** The settings of the `persister` consumer that come from the environment. */
export interface PersisterConsumerSettings {
  readonly PERSISTER_ACK_WAIT_S: number;
  readonly PERSISTER_MAX_ACK_PENDING: number;
}

/** What every replica sets on the shared consumer, whether it creates it or finds it. */
export function persisterConsumerTuning(settings: PersisterConsumerSettings): Partial<ConsumerConfig> {
  // Unlimited deliveries on the server: when it gives up on an event it drops it silently, so
  // an outage of PostgreSQL longer than N retries would lose acked messages. The limit of
  // PERSISTER_MAX_DELIVER is applied by the batch processor, to events that fail on their own.
  return {
    ack_wait: settings.PERSISTER_ACK_WAIT_S * 1000 * NANOS_PER_MS,
    max_ack_pending: settings.PERSISTER_MAX_ACK_PENDING,
    max_deliver: -1,
  };
}

/**
 * Creates the durable pull consumer `persister` on CHAT_EVENTS, or brings an existing one to
 * today's settings (keeping its place in the stream). Safe to run from many replicas at once.
 */
export async function ensurePersisterConsumer(jsm: JetStreamManager, settings: PersisterConsumerSettings): Promise<void> {
  const tuning = persisterConsumerTuning(settings);
  try {
    const existing = await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
    // A consumer made by an earlier version has the filter `chat.*.events`: it goes (the
    // client merges the given fields into the current config, so `undefined` drops it), and
    // its place in the stream stays (an update keeps the consumer's state).
    const unfilter = existing.config.filter_subject ? { filter_subject: undefined } : {};
    await jsm.consumers.update(STREAMS.chatEvents, CONSUMERS.persister, { ...tuning, ...unfilter });
  } catch (err) {
    if (!isJetStreamApiError(err, JS_API_CODES.ConsumerNotFound)) throw err;
    await jsm.consumers
      .add(STREAMS.chatEvents, {
        durable_name: CONSUMERS.persister,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        // No filter: the stream holds only `chat.*.events`, so a filter would select
        // everything anyway, and nats-server 2.9 counts a filtered consumer's pending events
        // by scanning the stream's blocks. Behind a backlog of 40,000 events each consumer
        // info (the lag gauge asks every second) took 35-50 ms of nats-server's one thread,
        // against under 1 ms unfiltered (docs/BENCHMARKS.md, session 9).
        ...tuning,
      })
      .catch(async (addErr: unknown) => {
        // Another replica created it between our info and add: adopt its settings.
        if (!isJetStreamApiError(addErr, JS_API_CODES.ConsumerAlreadyExists, JS_API_CODES.ConsumerNameInUse)) throw addErr;
        await jsm.consumers.update(STREAMS.chatEvents, CONSUMERS.persister, tuning);
      });
  }
}
