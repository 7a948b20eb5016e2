import type { EntityManager } from '@mikro-orm/postgresql';

export interface BlockRow {
  readonly id: string;
  readonly username: string;
  readonly created_at: Date | string;
}

/** `user_blocks` (its one writer): who blocked whom. */
export class BlockRepository {
  constructor(private readonly em: EntityManager) {}

  /** Idempotent. */
  async add(blockerId: string, blockedId: string): Promise<void> {
    await this.em.execute('insert into user_blocks (blocker_id, blocked_id) values (?, ?) on conflict do nothing', [blockerId, blockedId]);
  }

  async remove(blockerId: string, blockedId: string): Promise<void> {
    await this.em.execute('delete from user_blocks where blocker_id = ? and blocked_id = ?', [blockerId, blockedId]);
  }

  async count(blockerId: string): Promise<number> {
    const rows = await this.em.execute<Array<{ n: string | number }>>('select count(*) as n from user_blocks where blocker_id = ?', [
      blockerId,
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  async exists(blockerId: string, blockedId: string): Promise<boolean> {
    const rows = await this.em.execute<unknown[]>('select 1 from user_blocks where blocker_id = ? and blocked_id = ?', [
      blockerId,
      blockedId,
    ]);
    return rows.length > 0;
  }

  /** Whether the other member of 1:1 chat `chatId` blocked `userId` (false for other chats). */
  async blockedInDirectChat(chatId: string, userId: string): Promise<boolean> {
    const rows = await this.em.execute<unknown[]>(
      `select 1 from chats c
         join user_blocks b on b.blocked_id = ? and b.blocker_id = case when c.user1_id = ? then c.user2_id else c.user1_id end
        where c.id = ? and c.type = 'direct' and ? in (c.user1_id, c.user2_id)`,
      [userId, userId, chatId, userId],
    );
    return rows.length > 0;
  }

  /** Whom `blockerId` blocked, newest first, with their names (bounded). */
  async list(blockerId: string, limit: number): Promise<BlockRow[]> {
    return this.em.execute<BlockRow[]>(
      `select u.id, u.username, b.created_at from user_blocks b join users u on u.id = b.blocked_id
        where b.blocker_id = ? order by b.created_at desc, u.id limit ?`,
      [blockerId, limit],
    );
  }

  /** Removes every block by or of the user (account deletion); returns what was removed. */
  async removeAllOf(userId: string): Promise<Array<{ blocker_id: string; blocked_id: string }>> {
    return this.em.execute<Array<{ blocker_id: string; blocked_id: string }>>(
      'delete from user_blocks where blocker_id = ? or blocked_id = ? returning blocker_id, blocked_id',
      [userId, userId],
    );
  }
}
