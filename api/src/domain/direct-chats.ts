import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { NeonError } from '@neonchat/common/contracts';
import { uuidv7 } from '@neonchat/common/runtime';
import type { Repositories } from '../repositories/mod.js';
import type { ChatTimesRow } from '../repositories/chats.js';

export interface DirectChat {
  readonly id: string;
  readonly partner: { id: string; username: string };
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly created: boolean;
}

function existing(row: ChatTimesRow, partner: DirectChat['partner']): DirectChat {
  return { id: row.id, partner, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at), created: false };
}

/**
 * The 1:1 chat of two users, existing or new. Both sides get the same chat whoever asks
 * first: the unique index on the ordered pair settles a race, and the loser reads the winner's.
 */
export async function findOrCreateDirectChat(repos: Repositories, userId: string, partnerId: string): Promise<DirectChat> {
  if (userId === partnerId)
    throw new NeonError('validation_failed', 'partner_id: cannot start a chat with yourself', { details: { field: 'partner_id' } });
  const partner = await repos.users.publicUser(partnerId);
  if (!partner) throw new NeonError('not_found', 'partner not found', { details: { field: 'partner_id' } });

  const found = await repos.chats.findDirect(userId, partnerId);
  if (found) return existing(found, partner);
  // Someone who blocked the caller cannot be reached through a new 1:1 chat (an existing one stays readable).
  if (await repos.blocks.exists(partnerId, userId))
    throw new NeonError('forbidden', 'partner_id: this user does not accept chats from you', { details: { field: 'partner_id' } });

  const id = uuidv7();
  try {
    await repos.transactional(async (tx) => {
      await tx.chats.insertDirect(id, userId, partnerId);
      await tx.members.insertPair(id, userId, partnerId);
    });
  } catch (err) {
    if (!(err instanceof UniqueConstraintViolationException)) throw err;
    const winner = await repos.chats.findDirect(userId, partnerId);
    if (!winner) throw err;
    return existing(winner, partner);
  }
  const now = new Date();
  return { id, partner, createdAt: now, updatedAt: now, created: true };
}
