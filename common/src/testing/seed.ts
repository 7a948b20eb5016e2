/**
 * Rows for tests, written once: users, chats with members, messages as the persister would
 * store them. Any driver fits that has `query(sql, params)` with `$n` placeholders (a `pg` pool).
 */
import { randomUUID } from 'node:crypto';
import type { ChatType, MemberRole, MemberStatus } from '../contracts/model.js';

export interface SeedDb {
  query(sql: string, params: unknown[]): Promise<unknown>;
}

/** A user row; the password hash is a placeholder unless given (no test logs in with it). */
export async function seedUser(db: SeedDb, user: { id?: string; username: string; passwordHash?: string }): Promise<string> {
  const id = user.id ?? randomUUID();
  await db.query('insert into users (id, username, password_hash) values ($1, $2, $3)', [id, user.username, user.passwordHash ?? 'x']);
  return id;
}

export interface SeedMember {
  readonly userId: string;
  readonly role?: MemberRole;
  readonly status?: MemberStatus;
}

/** A chat and its members; the first member created it. A direct chat names its pair. */
export async function seedChat(
  db: SeedDb,
  chat: { id?: string; type: ChatType; name?: string; members: readonly SeedMember[] },
): Promise<string> {
  const id = chat.id ?? randomUUID();
  const creator = chat.members[0]!.userId;
  const direct = chat.type === 'direct';
  await db.query('insert into chats (id, type, name, user1_id, user2_id, created_by) values ($1, $2, $3, $4, $5, $6)', [
    id,
    chat.type,
    direct ? null : (chat.name ?? `chat ${id.slice(0, 8)}`),
    direct ? creator : null,
    direct ? chat.members[1]!.userId : null,
    creator,
  ]);
  await db.query(
    `insert into chat_members (chat_id, user_id, role, status)
     select $1, * from unnest($2::uuid[], $3::text[], $4::text[])`,
    [id, chat.members.map((m) => m.userId), chat.members.map((m) => m.role ?? 'member'), chat.members.map((m) => m.status ?? 'active')],
  );
  return id;
}

/** `count` group chats created by one user, its admin (the rows messages point to). */
export async function seedGroupChats(db: SeedDb, creatorId: string, count: number, name = 'test chat'): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await db.query(`insert into chats (id, type, name, created_by) select id, 'group', $3, $2 from unnest($1::uuid[]) as id`, [
    ids,
    creatorId,
    name,
  ]);
  await db.query(`insert into chat_members (chat_id, user_id, role) select id, $2, 'admin' from unnest($1::uuid[]) as id`, [
    ids,
    creatorId,
  ]);
  return ids;
}

/**
 * Messages as the persister stores them (given ids, consecutive seqs from `firstSeq`, senders
 * taking turns), and the chat's last-message pointer moved on. Returns the ids in chat order.
 */
export async function seedMessages(
  db: SeedDb,
  chatId: string,
  messages: { ids: readonly string[]; senders: readonly string[]; firstSeq: number },
): Promise<void> {
  const { ids, senders, firstSeq } = messages;
  await db.query(
    `insert into messages (id, chat_id, seq, sender_id, text, created_at)
     select ($1::uuid[])[i], $2, $3 + i - 1, ($4::uuid[])[i], 'message ' || ($3 + i - 1), now()
       from generate_series(1, $5) as i`,
    [ids, chatId, firstSeq, ids.map((_, i) => senders[i % senders.length]!), ids.length],
  );
  const lastSeq = firstSeq + ids.length - 1;
  await db.query(
    `update chats set last_message_id = $1, last_message_seq = $2, updated_at = now()
      where id = $3 and coalesce(last_message_seq, 0) < $2`,
    [ids.at(-1), lastSeq, chatId],
  );
}
