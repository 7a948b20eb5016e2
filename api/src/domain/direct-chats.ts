import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { NeonError } from '@neonchat/common/contracts';
import { uuidv7 } from '@neonchat/common/runtime';

export interface DirectChat {
  readonly id: string;
  readonly partner: { id: string; username: string };
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly created: boolean;
}

interface ChatRowSql {
  id: string;
  created_at: Date | string;
  updated_at: Date | string;
}

async function findDirectChat(em: EntityManager, a: string, b: string): Promise<ChatRowSql | undefined> {
  const rows = await em.getConnection().execute<ChatRowSql[]>(
    `select id, created_at, updated_at from chats
      where type = 'direct' and least(user1_id, user2_id) = least(?::uuid, ?::uuid)
        and greatest(user1_id, user2_id) = greatest(?::uuid, ?::uuid)`,
    [a, b, a, b],
  );
  return rows[0];
}

/**
 * The 1:1 chat of two users, existing or new. Both sides get the same chat whoever asks
 * first: the unique index on the ordered pair settles a race, and the loser reads the winner's.
 */
export async function findOrCreateDirectChat(em: EntityManager, userId: string, partnerId: string): Promise<DirectChat> {
  if (userId === partnerId)
    throw new NeonError('validation_failed', 'partner_id: cannot start a chat with yourself', { details: { field: 'partner_id' } });
  const partners = await em
    .getConnection()
    .execute<Array<{ id: string; username: string }>>('select id, username from users where id = ?', [partnerId]);
  const partner = partners[0];
  if (!partner) throw new NeonError('not_found', 'partner not found', { details: { field: 'partner_id' } });

  const existing = await findDirectChat(em, userId, partnerId);
  if (existing)
    return { id: existing.id, partner, createdAt: new Date(existing.created_at), updatedAt: new Date(existing.updated_at), created: false };

  const id = uuidv7();
  try {
    await em.transactional(async (tx) => {
      await tx.execute(`insert into chats (id, type, user1_id, user2_id, created_by) values (?, 'direct', ?, ?, ?)`, [
        id,
        userId,
        partnerId,
        userId,
      ]);
      await tx.execute(`insert into chat_members (chat_id, user_id, role) values (?, ?, 'member'), (?, ?, 'member')`, [
        id,
        userId,
        id,
        partnerId,
      ]);
    });
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    const winner = await findDirectChat(em, userId, partnerId);
    if (!winner) throw err;
    return { id: winner.id, partner, createdAt: new Date(winner.created_at), updatedAt: new Date(winner.updated_at), created: false };
  }
  const now = new Date();
  return { id, partner, createdAt: now, updatedAt: now, created: true };
}
