import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy, type StreamConfig } from '@nats-io/jetstream';
import { STREAMS, SUBJECTS } from '../contracts/subjects.js';
import type { Logger } from './logger.js';

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

/** Creates the streams, or brings their mutable settings up to date. Safe to call from every replica. */
export async function ensureStreams(nc: NatsConnection, settings: StreamSettings): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const config of [chatEventsStreamConfig(settings), deadLetterStreamConfig(settings)]) {
    try {
      await jsm.streams.info(config.name);
      await jsm.streams.update(config.name, config);
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
      try {
        await jsm.streams.add(config);
      } catch (addErr) {
        // Another replica created it between our info and add.
        if (!String(addErr).includes('already in use')) throw addErr;
      }
    }
  }
}

function isStreamNotFound(err: unknown): boolean {
  return err instanceof Error && /stream not found/i.test(err.message);
}
