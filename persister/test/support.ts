/**
 * Helpers for the persister's tests: a fresh database copied from the run's migrated
 * template, chats to write into, publishing chat events the way the gateway and api do, and
 * reading back what PostgreSQL holds.
 */
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  CONSUMERS,
  STREAMS,
  SUBJECTS,
  type ChatEvent,
  type MessageCreatedEvent,
  type MessageDeletedEvent,
  type MessageUpdatedEvent,
} from '@neonchat/common';
import { createDatabase, seedGroupChats, seedUser, testEnvironment } from '@neonchat/common/testing';

export async function freshDatabase(): Promise<string> {
  const env = testEnvironment();
  return createDatabase(env.adminDatabaseUrl, { template: env.templateDatabase });
}

/** One user and `count` group chats it created (the rows messages point to). */
export async function seedChats(db: pg.Pool, count: number): Promise<{ userId: string; chatIds: string[] }> {
  const id = randomUUID();
  const userId = await seedUser(db, { id, username: `p_${id.slice(0, 18)}` });
  return { userId, chatIds: await seedGroupChats(db, userId, count, 'persister test') };
}

export function created(chatId: string, senderId: string, text: string, id: string = randomUUID()): MessageCreatedEvent {
  return { type: 'message.created', id, chat_id: chatId, sender_id: senderId, text, created_at: new Date().toISOString() };
}

export function edited(chatId: string, id: string, editorId: string, text: string): MessageUpdatedEvent {
  return { type: 'message.updated', id, chat_id: chatId, editor_id: editorId, text, updated_at: new Date().toISOString() };
}

export function deleted(chatId: string, id: string, by: string): MessageDeletedEvent {
  return { type: 'message.deleted', id, chat_id: chatId, deleted_by: by, deleted_at: new Date().toISOString() };
}

/** Publishes to `chat.{id}.events` and returns the stream sequence it was stored at. */
export async function publishEvent(nc: NatsConnection, event: ChatEvent): Promise<number> {
  const ack = await jetstream(nc).publish(SUBJECTS.chatEvents(event.chat_id), JSON.stringify(event));
  return ack.seq;
}

/** Publishes many events with many in flight; resolves to their stream sequences, in order. */
export async function publishAll(nc: NatsConnection, events: readonly ChatEvent[], inFlight = 256): Promise<number[]> {
  const js = jetstream(nc);
  const seqs = new Array<number>(events.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < events.length) {
      const i = next++;
      const event = events[i]!;
      seqs[i] = (await js.publish(SUBJECTS.chatEvents(event.chat_id), JSON.stringify(event))).seq;
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  return seqs;
}

export interface StoredMessage {
  id: string;
  chat_id: string;
  seq: string;
  text: string;
}

/** Count and an md5 over (id, seq, text) in seq order, for the chats given. */
export async function storedDigest(db: pg.Pool, chatIds: readonly string[]): Promise<{ count: number; digest: string }> {
  const { rows } = await db.query<{ count: string; digest: string | null }>(
    `select count(*)::text as count, md5(string_agg(id::text || ':' || seq::text || ':' || text, '|' order by seq)) as digest
       from messages where chat_id = any($1::uuid[])`,
    [chatIds],
  );
  return { count: Number(rows[0]!.count), digest: rows[0]!.digest ?? '' };
}

export function expectedDigest(rows: ReadonlyArray<{ id: string; seq: number; text: string }>): string {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  return createHash('md5')
    .update(sorted.map((r) => `${r.id}:${r.seq}:${r.text}`).join('|'))
    .digest('hex');
}

export async function messageCount(db: pg.Pool, chatIds: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ n: string }>('select count(*)::text as n from messages where chat_id = any($1::uuid[])', [chatIds]);
  return Number(rows[0]!.n);
}

export async function consumerState(nc: NatsConnection): Promise<{ pending: number; ackPending: number; redelivered: number }> {
  const info = await (await jetstreamManager(nc)).consumers.info(STREAMS.chatEvents, CONSUMERS.persister);
  return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
}

/** A metric's value (summed over its series) from a prom-client registry's text output. */
export async function metricValue(registry: { metrics(): Promise<string> }, name: string, labels = ''): Promise<number> {
  const text = await registry.metrics();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
