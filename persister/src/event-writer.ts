import type pg from 'pg';
import {
  unhandled,
  type ChatEvent,
  type ChatReadEvent,
  type MessageCreatedEvent,
  type MessageDeletedEvent,
  type MessageUpdatedEvent,
  type ReactionEvent,
} from '@neonchat/common/contracts';

/** A chat event with its stream sequence: the position it takes in its chat. */
export interface SequencedEvent {
  readonly seq: number;
  readonly event: ChatEvent;
}

export interface BatchOutcome {
  /** Chats named by events of the batch that do not exist: those events were not written. */
  readonly missingChats: ReadonlySet<string>;
  /** Edits/deletes parked because their message is not in the table yet. */
  readonly parked: number;
}

type Change = { readonly seq: number; readonly kind: 'edit' | 'delete'; readonly event: MessageUpdatedEvent | MessageDeletedEvent };

/**
 * Applies a batch of chat events to PostgreSQL in one transaction. Every write is guarded by
 * the stream sequence, so the result is the same whatever order batches (or replicas) commit
 * in, and a redelivered batch changes nothing:
 * - new messages: one multi-row insert, `on conflict (id) do nothing`;
 * - edits/deletes: applied only over an older change (`messages.change_seq`); one whose
 *   message is not there yet is parked in `message_pending_changes` and applied when it lands;
 * - read marks only move forward;
 * - reactions: per (message, emoji, user) the change with the highest sequence wins;
 * - each chat's last-message pointer and `updated_at`: one update per chat per batch, only
 *   towards a higher sequence.
 *
 * The first statement updates every chat row the batch names, in chat id order: that is the
 * pointer update and the lock in one pass. Taking the locks in one order keeps concurrent
 * batches (and replicas) from deadlocking, and the lock serialises a message's insert with a
 * change to it made elsewhere, so a change can't be parked just after the insert looked for
 * parked changes.
 */
export async function writeBatch(pool: pg.Pool, batch: readonly SequencedEvent[]): Promise<BatchOutcome> {
  const created: Array<{ seq: number; event: MessageCreatedEvent }> = [];
  const changes: Change[] = [];
  const reads: Array<{ seq: number; event: ChatReadEvent }> = [];
  const reactions: Array<{ seq: number; event: ReactionEvent }> = [];
  // By canonical chat id: one chat is one row to update and lock, however its events spell it.
  const newest = new Map<string, { seq: number; event: MessageCreatedEvent } | undefined>();
  for (const { seq, event } of batch) {
    const chatId = event.chat_id.toLowerCase();
    switch (event.type) {
      case 'message.created': {
        created.push({ seq, event });
        const seen = newest.get(chatId);
        if (!seen || seen.seq < seq) newest.set(chatId, { seq, event });
        break;
      }
      case 'message.updated':
        changes.push({ seq, kind: 'edit', event });
        break;
      case 'message.deleted':
        changes.push({ seq, kind: 'delete', event });
        break;
      case 'chat.read':
        reads.push({ seq, event });
        break;
      case 'reaction.added':
      case 'reaction.removed':
        reactions.push({ seq, event });
        break;
      default:
        // A new event type must be written here (or knowingly skipped), never acked unwritten.
        unhandled(event, 'chat event');
    }
    if (!newest.has(chatId)) newest.set(chatId, undefined);
  }

  const client = await pool.connect();
  // A connection lost mid-transaction also emits 'error' on the client; the pool listens only
  // while the client is idle, and an unheard 'error' would end the process. The failing
  // query rejects too, and that is what is handled.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let released = false;
  try {
    // Nested loops over the sorted chat ids, so rows are locked in that order; the statement
    // that takes the locks turns the other join methods back on for the statements after it.
    await client.query('begin; set local enable_hashjoin = off; set local enable_mergejoin = off');
    const missing = await touchChats(client, newest);
    const isMissing = (chatId: string): boolean => missing.has(chatId.toLowerCase());
    const keep = <T extends { event: { chat_id: string } }>(list: T[]): T[] =>
      missing.size ? list.filter((x) => !isMissing(x.event.chat_id)) : list;
    // Named as the batch spells them: the caller matches them against its events.
    const missingChats = new Set(missing.size ? batch.map((b) => b.event.chat_id).filter(isMissing) : []);
    const createdHere = keep(created);
    const changesHere = keep(changes);
    const readsHere = keep(reads);
    const reactionsHere = keep(reactions);

    // Changes parked by earlier batches (or other replicas) for the messages just inserted.
    // Asked by the insert, which starts after the chat locks are held: a change to one of
    // these chats parked by another transaction has committed by now, or will find this
    // batch's messages once we commit.
    if (createdHere.length && (await insertMessages(client, createdHere))) {
      await client.query(
        `with c as (
         delete from message_pending_changes where message_id = any($1::uuid[])
         returning message_id as id, chat_id, seq, kind, text, actor_id, at)
       ${APPLY_CHANGES}`,
        [bareArray(createdHere.map((c) => c.event.id))],
      );
    }
    let parked = 0;
    if (changesHere.length) parked = await applyChanges(client, changesHere);
    if (readsHere.length) await applyReadMarks(client, readsHere);
    if (reactionsHere.length) await applyReactions(client, reactionsHere);
    await client.query('commit');
    return { missingChats, parked };
  } catch (err) {
    // A connection that failed mid-transaction is not handed back to the pool for reuse.
    await client.query('rollback').catch(() => {
      client.release(true);
      released = true;
    });
    throw err;
  } finally {
    client.off('error', ignore);
    if (!released) client.release();
  }
}

/**
 * Updates each chat of the batch once, in chat id order: the pointer moves to the batch's
 * newest message if that is newer than the pointer; a chat with no new message is rewritten
 * as it is, which only locks it. `newest` is keyed by canonical (lower-case) chat id, as
 * PostgreSQL writes a uuid. Returns the chats that do not exist, in that form (as a rule none:
 * only they are sent back and parsed).
 */
async function touchChats(
  client: pg.PoolClient,
  newest: ReadonlyMap<string, { seq: number; event: MessageCreatedEvent } | undefined>,
): Promise<Set<string>> {
  const ids = [...newest.keys()].sort();
  const n = ids.length;
  const messageIds = new Array<string | null>(n);
  const seqs = new Array<number | null>(n);
  const times = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const last = newest.get(ids[i]!);
    messageIds[i] = last?.event.id ?? null;
    seqs[i] = last?.seq ?? null;
    times[i] = last?.event.created_at ?? null;
  }
  const { rows } = await client.query<{ missing: string[] }>({
    name: TOUCH_CHATS.name,
    text: TOUCH_CHATS.text,
    values: [bareArray(ids), bareArray(messageIds), bareArray(seqs), textArray(times)],
  });
  return new Set(rows[0]?.missing ?? []);
}

/*
 * The hot statements are prepared once per connection (named): PostgreSQL then skips parsing
 * and analysing them for every batch, and the text is not sent again.
 */
const TOUCH_CHATS = {
  name: 'neonchat_persister_touch_chats_1',
  // `newer` is judged on the row being updated: after waiting for another transaction's
  // lock, PostgreSQL re-evaluates the SET list on the row that transaction left. The plan (nested
  // loops, see writeBatch) is made before the statement runs, so the set_config calls only
  // affect the statements after it.
  text: `with t as (
      update chats c set
          last_message_id = case when v.seq > coalesce(c.last_message_seq, 0) then v.message_id else c.last_message_id end,
          updated_at = case when v.seq > coalesce(c.last_message_seq, 0) then greatest(c.updated_at, v.created_at) else c.updated_at end,
          last_message_seq = case when v.seq > coalesce(c.last_message_seq, 0) then v.seq else c.last_message_seq end
         from (select * from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[]) with ordinality
                               as t(chat_id, message_id, seq, created_at, n)
                order by n) v
        where c.id = v.chat_id
        returning c.id)
    select array(select unnest($1::uuid[]) except all select id from t) as missing,
           set_config('enable_hashjoin', 'on', true) as hashjoin,
           set_config('enable_mergejoin', 'on', true) as mergejoin`,
} as const;

/**
 * Inserts the batch's new messages and says whether any change is parked, waiting for a
 * message, in the same round trip. Only the id decides a conflict: a redelivered message is
 * there under its id already. `(chat_id, seq)` is the stream position of this very event, so
 * another message there is no duplicate but an error (refused, dead-lettered, not dropped in
 * silence), and PostgreSQL probes one unique index ahead of each row instead of two.
 */
const INSERT_MESSAGES = {
  name: 'neonchat_persister_insert_messages_4',
  text: `with ins as (
      insert into messages (id, chat_id, seq, sender_id, text, created_at, attachments, reply_to_id, reply_preview, forwarded_from, mentions)
      select id, chat_id, seq, sender_id, text, created_at, attachments, reply_to_id, reply_preview, forwarded_from, mentions::uuid[]
        from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::timestamptz[], $7::jsonb[],
                    $8::uuid[], $9::jsonb[], $10::jsonb[], $11::text[])
          as t(id, chat_id, seq, sender_id, text, created_at, attachments, reply_to_id, reply_preview, forwarded_from, mentions)
      on conflict (id) do nothing)
    select exists (select 1 from message_pending_changes) as parked`,
} as const;

/**
 * One `message_attachments` row per file of each new message (`$1` message ids, `$2` chat ids,
 * `$3` the upload ids of each message as a JSON array), in the same transaction as the
 * messages; a redelivered batch adds nothing.
 */
const INSERT_ATTACHMENTS = `insert into message_attachments (message_id, upload_id, chat_id, position)
  select m.id, u.upload_id::uuid, m.chat_id, u.position - 1
    from unnest($1::uuid[], $2::uuid[], $3::jsonb[]) as m(id, chat_id, uploads)
    cross join lateral jsonb_array_elements_text(m.uploads) with ordinality as u(upload_id, position)
  on conflict do nothing`;

/**
 * Mentions of the batch's new messages, one row per (member, chat, seq): what the chat list
 * counts from the read mark on. A redelivered message writes the same keys again: nothing.
 */
const INSERT_MENTIONS = `insert into message_mentions (user_id, chat_id, seq, message_id)
  select * from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[]) on conflict do nothing`;

/** The optional parts of a new message as the insert's columns (NULL when absent). */
function optionalColumns(event: MessageCreatedEvent): [string | null, string | null, string | null, string | null] {
  return [
    event.reply_to?.id ?? null,
    event.reply_to ? JSON.stringify(event.reply_to) : null,
    event.forwarded_from ? JSON.stringify(event.forwarded_from) : null,
    event.mentions?.length ? `{${event.mentions.join(',')}}` : null,
  ];
}

/** Returns whether any change is parked (in any chat): only then are they looked for. */
async function insertMessages(
  client: pg.PoolClient,
  created: ReadonlyArray<{ seq: number; event: MessageCreatedEvent }>,
): Promise<boolean> {
  const n = created.length;
  const ids = new Array<string>(n);
  const chats = new Array<string>(n);
  const seqs = new Array<number>(n);
  const senders = new Array<string>(n);
  const texts = new Array<string>(n);
  const times = new Array<string>(n);
  const attachments = new Array<string | null>(n);
  const withFiles: number[] = [];
  const replyTo = new Array<string | null>(n);
  const previews = new Array<string | null>(n);
  const forwards = new Array<string | null>(n);
  const mentions = new Array<string | null>(n);
  const mentioned: { users: string[]; chats: string[]; seqs: number[]; messages: string[] } = {
    users: [],
    chats: [],
    seqs: [],
    messages: [],
  };
  for (let i = 0; i < n; i++) {
    const { seq, event } = created[i]!;
    ids[i] = event.id;
    chats[i] = event.chat_id;
    seqs[i] = seq;
    senders[i] = event.sender_id;
    texts[i] = event.text;
    times[i] = event.created_at;
    attachments[i] = event.attachments?.length ? JSON.stringify(event.attachments) : null;
    if (attachments[i] !== null) withFiles.push(i);
    [replyTo[i], previews[i], forwards[i], mentions[i]] = optionalColumns(event);
    for (const user of event.mentions ?? []) {
      mentioned.users.push(user);
      mentioned.chats.push(event.chat_id);
      mentioned.seqs.push(seq);
      mentioned.messages.push(event.id);
    }
  }
  const { rows } = await client.query<{ parked: boolean }>({
    name: INSERT_MESSAGES.name,
    text: INSERT_MESSAGES.text,
    values: [
      bareArray(ids),
      bareArray(chats),
      bareArray(seqs),
      bareArray(senders),
      textArray(texts),
      textArray(times),
      textArray(attachments),
      bareArray(replyTo),
      textArray(previews),
      textArray(forwards),
      textArray(mentions),
    ],
  });
  if (withFiles.length) {
    await client.query(INSERT_ATTACHMENTS, [
      bareArray(withFiles.map((i) => ids[i]!)),
      bareArray(withFiles.map((i) => chats[i]!)),
      textArray(withFiles.map((i) => JSON.stringify(created[i]!.event.attachments!.map((a) => a.id)))),
    ]);
  }
  if (mentioned.users.length) {
    await client.query(INSERT_MENTIONS, [
      bareArray(mentioned.users),
      bareArray(mentioned.chats),
      bareArray(mentioned.seqs),
      bareArray(mentioned.messages),
    ]);
  }
  return rows[0]?.parked === true;
}

/*
 * Array literals built here rather than by pg, which escapes every element with a regular
 * expression: uuids (validated on arrival) and integers need no quoting at all, and most texts
 * need only the quotes. This is the persister's hottest loop. A missing value is NULL.
 */
function bareArray(values: ReadonlyArray<string | number | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i) out += ',';
    out += values[i] ?? 'NULL';
  }
  return `${out}}`;
}

function textArray(values: ReadonlyArray<string | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else out += /["\\]/.test(v) ? `"${v.replace(/(["\\])/g, '\\$1')}"` : `"${v}"`;
  }
  return `${out}}`;
}

/**
 * Applies a set of changes `c(id, chat_id, seq, kind, text, actor_id, at)` (a CTE defined
 * before it) and parks those whose message is not in the table. Rules, per message:
 * - a delete is final: the first delete of the set applies unless the message is deleted;
 * - the latest edit of the set that comes before that delete applies if it is newer than the
 *   last change applied (`change_seq`) and the message is not deleted.
 * The statement's snapshot includes the rows this transaction inserted before it.
 */
const APPLY_CHANGES = `,
  d as (select distinct on (id) id, chat_id, seq, at from c where kind = 'delete' order by id, seq),
  e as (
    select distinct on (c.id) c.id, c.chat_id, c.seq, c.text, c.at
      from c left join d on d.id = c.id
     where c.kind = 'edit' and (d.seq is null or c.seq < d.seq)
     order by c.id, c.seq desc),
  x as (
    select coalesce(e.id, d.id) as id, coalesce(e.chat_id, d.chat_id) as chat_id,
           e.seq as edit_seq, e.text as edit_text, e.at as edit_at, d.seq as delete_seq, d.at as delete_at
      from e full join d on d.id = e.id),
  applied as (
    update messages m set
        text = case when y.edit_applies then y.edit_text else m.text end,
        deleted_at = case when y.delete_applies then y.delete_at else m.deleted_at end,
        updated_at = case when y.delete_applies then y.delete_at when y.edit_applies then y.edit_at else m.updated_at end,
        change_seq = greatest(m.change_seq,
                              case when y.edit_applies then y.edit_seq end,
                              case when y.delete_applies then y.delete_seq end)
      from (select x.*, m0.id as mid,
                   (m0.deleted_at is null and x.edit_seq is not null and x.edit_seq > coalesce(m0.change_seq, 0)) as edit_applies,
                   (m0.deleted_at is null and x.delete_seq is not null) as delete_applies
              from x join messages m0 on m0.id = x.id and m0.chat_id = x.chat_id) y
     where m.id = y.mid and (y.edit_applies or y.delete_applies)
     returning m.id)
  insert into message_pending_changes (message_id, seq, chat_id, kind, text, actor_id, at)
  select c.id, c.seq, c.chat_id, c.kind, c.text, c.actor_id, c.at
    from c
   where not exists (select 1 from messages m where m.id = c.id)
  on conflict do nothing
  returning message_id`;

async function applyChanges(client: pg.PoolClient, changes: readonly Change[]): Promise<number> {
  const result = await client.query(
    `with c as (
       select * from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::uuid[], $7::timestamptz[])
         as t(id, chat_id, seq, kind, text, actor_id, at))
     ${APPLY_CHANGES}`,
    [
      changes.map((c) => c.event.id),
      changes.map((c) => c.event.chat_id),
      changes.map((c) => c.seq),
      changes.map((c) => c.kind),
      changes.map((c) => (c.event.type === 'message.updated' ? c.event.text : null)),
      changes.map((c) => (c.event.type === 'message.updated' ? c.event.editor_id : c.event.deleted_by)),
      changes.map((c) => (c.event.type === 'message.updated' ? c.event.updated_at : c.event.deleted_at)),
    ],
  );
  return result.rowCount ?? 0;
}

async function applyReadMarks(client: pg.PoolClient, reads: ReadonlyArray<{ seq: number; event: ChatReadEvent }>): Promise<void> {
  await client.query(
    `update chat_members cm set last_read_seq = v.seq
       from (select chat_id, user_id, max(seq) as seq
               from unnest($1::uuid[], $2::uuid[], $3::bigint[]) as t(chat_id, user_id, seq)
              group by chat_id, user_id) v
      where cm.chat_id = v.chat_id and cm.user_id = v.user_id and cm.last_read_seq < v.seq`,
    [reads.map((r) => r.event.chat_id), reads.map((r) => r.event.user_id), reads.map((r) => r.event.seq)],
  );
}

/**
 * Reactions as rows per (message, emoji, user): the batch's last change per key (by sequence)
 * is upserted, and only over an older one, so batches and replicas commit in any order.
 */
async function applyReactions(client: pg.PoolClient, changes: ReadonlyArray<{ seq: number; event: ReactionEvent }>): Promise<void> {
  await client.query(
    `insert into message_reactions (message_id, emoji, user_id, chat_id, active, change_seq)
     select distinct on (message_id, emoji, user_id) message_id, emoji, user_id, chat_id, active, seq
       from unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::boolean[], $6::bigint[])
            as t(message_id, emoji, user_id, chat_id, active, seq)
      order by message_id, emoji, user_id, seq desc
     on conflict (message_id, emoji, user_id) do update
        set active = excluded.active, change_seq = excluded.change_seq
      where message_reactions.change_seq < excluded.change_seq`,
    [
      changes.map((c) => c.event.message_id),
      changes.map((c) => c.event.emoji),
      changes.map((c) => c.event.user_id),
      changes.map((c) => c.event.chat_id),
      changes.map((c) => c.event.type === 'reaction.added'),
      changes.map((c) => c.seq),
    ],
  );
}
