import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstreamManager, type ConsumerConfig } from '@nats-io/jetstream';
import type pg from 'pg';
import { CONSUMERS, STREAMS } from '@neonchat/common/contracts';
import { isJetStreamApiError, JS_API_CODES } from '@neonchat/common/runtime';

export interface RewindOptions {
  /** How far before the newest message in PostgreSQL the replay starts (the persister's lag at the restore point must be within it). */
  readonly marginS: number;
  /** Replay from this time instead (overrides the database's newest message and the margin). */
  readonly from?: Date;
}

export interface RewindResult {
  /** The newest message's time in the restored database (ISO), if it has any. */
  readonly newestInDatabase: string | null;
  /** Where the consumer now starts (ISO); null: from the stream's first event. */
  readonly replayFrom: string | null;
  /** The stream's oldest event (ISO): nothing before it can be replayed. */
  readonly streamFirst: string | null;
  /** true when replayFrom is before the stream's first event: events of that gap are gone. */
  readonly windowShort: boolean;
  /** Events the persister will be delivered again (the consumer's pending count). */
  readonly toReplay: number;
}

/**
 * After PostgreSQL was restored to an earlier point: moves the persister's durable consumer back
 * so that the persister writes again what the restored database lacks. The consumer has acked
 * those events already, and JetStream cannot move an existing consumer, so it is deleted and
 * made again with the same settings, delivering from `newest message in the database − margin`
 * (every write of the persister is idempotent: a message by id, edits and reactions guarded by
 * their stream sequence, read marks only forward, so events stored already change nothing).
 * Run it while no persister runs (scripts/restore.sh holds them). The stream's retention
 * (NATS_STREAM_MAX_AGE_S, NATS_STREAM_MAX_BYTES) bounds how far back this reaches.
 */
export async function rewindPersister(nc: NatsConnection, db: pg.Pool | pg.Client, options: RewindOptions): Promise<RewindResult> {
  const newest = await db.query<{ newest: Date | null }>('select max(created_at) as newest from messages');
  const newestInDatabase = newest.rows[0]?.newest ?? null;
  const from = options.from ?? (newestInDatabase ? new Date(newestInDatabase.getTime() - options.marginS * 1000) : null);

  const jsm = await jetstreamManager(nc);
  const stream = await jsm.streams.info(STREAMS.chatEvents);
  const streamFirst = stream.state.messages > 0 ? new Date(stream.state.first_ts) : null;

  let kept: Partial<ConsumerConfig> = {};
  try {
    const existing = await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
    const c = existing.config;
    kept = { ack_wait: c.ack_wait, max_ack_pending: c.max_ack_pending, max_deliver: c.max_deliver };
    await jsm.consumers.delete(STREAMS.chatEvents, CONSUMERS.persister);
  } catch (err) {
    if (!isJetStreamApiError(err, JS_API_CODES.ConsumerNotFound)) throw err;
  }
  const start = from
    ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: from.toISOString() }
    : { deliver_policy: DeliverPolicy.All };
  await jsm.consumers.add(STREAMS.chatEvents, {
    durable_name: CONSUMERS.persister,
    ack_policy: AckPolicy.Explicit,
    max_deliver: -1,
    ...kept,
    ...start,
  });
  const info = await jsm.consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
  return {
    newestInDatabase: newestInDatabase?.toISOString() ?? null,
    replayFrom: from?.toISOString() ?? null,
    streamFirst: streamFirst?.toISOString() ?? null,
    windowShort: Boolean(from && streamFirst && from < streamFirst && stream.state.first_seq > 1),
    toReplay: info.num_pending,
  };
}
