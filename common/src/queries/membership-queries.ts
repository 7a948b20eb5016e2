/**
 * Membership reads, written once: what the gateway reads at connect, on a cache miss and for
 * presence.
 */

/** The other member of a 1:1 chat, from its two members (`c`, `chats`) for member `u` (an expression). */
const peerOf = (u: string) => `case when c.type = 'direct' then case when c.user1_id = ${u} then c.user2_id else c.user1_id end end`;

/**
 * `$1` user's active chats with their type, role and (1:1 chats) the other member, and who blocked
 * the user (the same array on every row, read once); one row with nulls when the user has no chat,
 * none when no such user.
 */
export const ACTIVE_CHATS_OF_USER = `select m.chat_id, c.type, m.role, ${peerOf('u.id')} as peer_id, bb.blocker_ids
   from users u
   cross join lateral (select array(select b.blocker_id from user_blocks b where b.blocked_id = u.id) as blocker_ids) bb
   left join chat_members m on m.user_id = u.id and m.status = 'active'
   left join chats c on c.id = m.chat_id
  where u.id = $1 and u.deleted_at is null`;

/** Active chats of the users `$1` (uuid[]), with the other member of 1:1 chats. */
export const ACTIVE_CHATS_OF_USERS = `select m.user_id, m.chat_id, c.type, m.role, ${peerOf('m.user_id')} as peer_id
   from chat_members m join chats c on c.id = m.chat_id
  where m.user_id = any($1::uuid[]) and m.status = 'active'`;

/** User `$2`'s membership of chat `$1` whatever its status, with the chat's type (and other member); no row for a stranger. */
export const MEMBERSHIP = `select c.type, m.role, m.status, ${peerOf('m.user_id')} as peer_id
   from chat_members m join chats c on c.id = m.chat_id
  where m.chat_id = $1 and m.user_id = $2`;

/** Active members of the chats `$1` (uuid[]). */
export const ACTIVE_MEMBERS_OF_CHATS = `select chat_id, user_id from chat_members where chat_id = any($1::uuid[]) and status = 'active'`;

/** Who blocked user `$1`, as one array (empty when nobody did): the gateway's send path keeps it per user. */
export const BLOCKERS_OF_USER = `select array(select blocker_id from user_blocks where blocked_id = $1) as blocker_ids`;

/** The two members of 1:1 chat `$1` (no row for another kind of chat). */
export const DIRECT_CHAT_MEMBERS = `select user1_id, user2_id from chats where id = $1 and type = 'direct'`;
