import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  DiscardPolicy,
  type StreamConfig,
} from '@nats-io/jetstream';
import { STREAMS, SUBJECTS } from '../contracts/subjects.js';
import type { Logger } from './logger.js';
import { isOutageError } from './outage.js';

export interface NatsOptions {
  readonly url: string;
  readonly name: string;
  readonly logger: Logger;
}

/**
 * Connects and keeps reconnecting forever: a service outlives a NATS restart and reports
 * itself not ready meanwhile (`nc.isClosed()` / status events), instead of crashing.
 */
export async function connectNats({ url, name, logger }: NatsOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(',').map((s) => s.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
    // Without this, nats-core builds a RequestError and a TimeoutError, each with a captured
    // stack, for every request and every JetStream publish, and almost always throws them
    // away: that was 23 % of the gateway's CPU per message (docs/BENCHMARKS.md).
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'error') logger.warn({ nats: status }, 'nats connection trouble');
      else if (status.type === 'reconnect') logger.info({ nats: status }, 'nats reconnected');
    }
  })().catch((err: unknown) => logger.error({ err }, 'nats status loop failed'));
  return nc;
}

export interface StreamSettings {
  readonly replicas: number;
  readonly maxAgeSeconds: number;
  readonly maxBytes: number;
  readonly duplicateWindowSeconds: number;
}

/** The stream settings of a service's NATS configuration (`NATS_STREAM_*`, `NATS_DUPLICATE_WINDOW_S`). */
export function streamSettingsOf(config: {
  readonly NATS_STREAM_REPLICAS: number;
  readonly NATS_STREAM_MAX_AGE_S: number;
  readonly NATS_STREAM_MAX_BYTES: number;
  readonly NATS_DUPLICATE_WINDOW_S: number;
}): StreamSettings {
  return {
    replicas: config.NATS_STREAM_REPLICAS,
    maxAgeSeconds: config.NATS_STREAM_MAX_AGE_S,
    maxBytes: config.NATS_STREAM_MAX_BYTES,
    duplicateWindowSeconds: config.NATS_DUPLICATE_WINDOW_S,
  };
}

const NANOS_PER_SECOND = 1_000_000_000;

export function chatEventsStreamConfig(s: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: STREAMS.chatEvents,
    subjects: [SUBJECTS.chatEventsWildcard],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: s.replicas,
    max_age: s.maxAgeSeconds * NANOS_PER_SECOND,
    max_bytes: s.maxBytes,
    duplicate_window: s.duplicateWindowSeconds * NANOS_PER_SECOND,
    // Every stored event is re-published in stream order, with its sequence in a header, to
    // `live.{chatId}.events`: gateways fan out only what the stream has acked, in its order.
    republish: { src: SUBJECTS.chatEventsWildcard, dest: SUBJECTS.liveRepublishDestination },
    allow_direct: true,
  };
}

export function deadLetterStreamConfig(s: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: STREAMS.deadLetters,
    subjects: [SUBJECTS.deadLettersWildcard],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: s.replicas,
    max_age: 30 * 24 * 3600 * NANOS_PER_SECOND,
  };
}

/**
 * JetStream API error codes we act on (`err_code` in nats-server's errors.json). The client
 * names a few (`JetStreamApiCodes`); the others are the server's, stable across versions.
 */
export const JS_API_CODES = {
  ...JetStreamApiCodes,
  /** JSStreamNameExistErr: "stream name already in use with a different configuration". */
  StreamNameInUse: 10058,
  /** JSConsumerAlreadyExists / JSConsumerNameExistErr (servers ≥ 2.10 refuse a second create). */
  ConsumerAlreadyExists: 10105,
  ConsumerNameInUse: 10148,
} as const;

/** The JetStream API refused the request with this code (never matched on message text). */
export function isJetStreamApiError(err: unknown, ...codes: number[]): err is JetStreamApiError {
  return err instanceof JetStreamApiError && codes.includes(err.code);
}

/**
 * Creates the streams, or brings their mutable settings up to date. Exactly one component
 * owns this: the persister at start (it also owns the stream's durable consumer), or the
 * `provision-cli` step run before the services. The gateway and the api only `verifyStreams`.
 * Safe to run from several replicas at once.
 */
export async function provisionStreams(nc: NatsConnection, settings: StreamSettings): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const config of [chatEventsStreamConfig(settings), deadLetterStreamConfig(settings)]) {
    try {
      await jsm.streams.info(config.name);
      await jsm.streams.update(config.name, config);
    } catch (err) {
      if (!isJetStreamApiError(err, JS_API_CODES.StreamNotFound)) throw err;
      try {
        await jsm.streams.add(config);
      } catch (addErr) {
        // Another replica created it between our info and add: bring it to our settings.
        if (!isJetStreamApiError(addErr, JS_API_CODES.StreamNameInUse)) throw addErr;
        await jsm.streams.update(config.name, config);
      }
    }
  }
}

/** JSClusterNotAvail (10008): the JetStream cluster has no meta leader yet (it is electing one). */
const JS_CLUSTER_NOT_AVAILABLE = 10008;
const SETTLE_FIRST_DELAY_MS = 250;
const SETTLE_MAX_DELAY_MS = 2000;

/**
 * Runs a JetStream administration step (provisioning, a consumer's settings) again while the
 * JetStream cluster is still settling: a request timing out, no responders, or no meta leader
 * yet, as when several replicas start together with freshly started NATS nodes. Any other
 * error, or the same past `timeoutMs`, is thrown. A deadline loop around one call, not a
 * retry library: the classification is the part that matters, and it is ours.
 */
export async function whileJetStreamSettles<T>(
  what: string,
  step: () => Promise<T>,
  options: { timeoutMs: number; logger: Logger },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 1, delay = SETTLE_FIRST_DELAY_MS; ; attempt++, delay = Math.min(delay * 2, SETTLE_MAX_DELAY_MS)) {
    try {
      return await step();
    } catch (err) {
      const settling = isOutageError(err) || isJetStreamApiError(err, JS_CLUSTER_NOT_AVAILABLE);
      if (!settling || Date.now() + delay >= deadline) throw err;
      options.logger.warn({ err, attempt, retry_in_ms: delay }, `${what}: JetStream not ready yet, trying again`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** How often a service waiting for the streams asks again. */
const VERIFY_POLL_MS = 500;

/**
 * Waits (up to `timeoutMs`) until the chat stream exists, without touching its settings: the
 * services that publish or read it start in any order beside the one that provisions it
 * (compose, k8s), and fail with a message saying who owns it if it never appears.
 */
export async function verifyStreams(nc: NatsConnection, options: { timeoutMs: number; logger: Logger }): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    try {
      const info = await jsm.streams.info(STREAMS.chatEvents);
      if (!info.config.republish)
        options.logger.warn({ stream: STREAMS.chatEvents }, 'chat stream has no republish: live fan-out will be silent');
      return;
    } catch (err) {
      if (!isJetStreamApiError(err, JS_API_CODES.StreamNotFound)) throw err;
      if (Date.now() >= deadline) {
        throw new Error(
          `stream ${STREAMS.chatEvents} does not exist after ${options.timeoutMs} ms: the persister (or \`node common/dist/runtime/provision-cli.js\`) provisions it`,
          { cause: err },
        );
      }
      if (!told) options.logger.info({ stream: STREAMS.chatEvents }, 'waiting for the chat stream to be provisioned');
      told = true;
      await new Promise((resolve) => setTimeout(resolve, VERIFY_POLL_MS));
    }
  }
}
