/**
 * Membership reads, written once: what the gateway reads at connect, on a cache miss and for
 * presence.
 */

/** `$1` user's active chats with their type and role; one row with nulls when the user has none, none when no such user. */
export const ACTIVE_CHATS_OF_USER = `select m.chat_id, c.type, m.role
   from users u
   left join chat_members m on m.user_id = u.id and m.status = 'active'
   left join chats c on c.id = m.chat_id
  where u.id = $1 and u.deleted_at is null`;

/** Active chats of the users `$1` (uuid[]). */
export const ACTIVE_CHATS_OF_USERS = `select m.user_id, m.chat_id, c.type, m.role
   from chat_members m join chats c on c.id = m.chat_id
  where m.user_id = any($1::uuid[]) and m.status = 'active'`;

/** User `$2`'s membership of chat `$1` whatever its status, with the chat's type; no row for a stranger. */
export const MEMBERSHIP = `select c.type, m.role, m.status from chat_members m join chats c on c.id = m.chat_id
  where m.chat_id = $1 and m.user_id = $2`;

/** Active members of the chats `$1` (uuid[]). */
export const ACTIVE_MEMBERS_OF_CHATS = `select chat_id, user_id from chat_members where chat_id = any($1::uuid[]) and status = 'active'`;

/**
 * Whether user \`$2\` may not write into chat \`$1\` because it is a 1:1 chat whose other member
 * blocked them (issue 27). False for groups, channels and chats \`$2\` is not in.
 */
export const BLOCKED_IN_DIRECT_CHAT = `select exists (
     select 1 from chats c
       join user_blocks b
         on b.blocked_id = $2
        and b.blocker_id = case when c.user1_id = $2 then c.user2_id else c.user1_id end
      where c.id = $1 and c.type = 'direct' and $2 in (c.user1_id, c.user2_id)
   ) as blocked`;
