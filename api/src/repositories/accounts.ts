import type { EntityManager } from '@mikro-orm/postgresql';

/** What a password check needs of a live account. */
export interface AccountCredentials {
  readonly id: string;
  readonly username: string;
  readonly password_hash: string;
}

/**
 * The account-level writes to `users` (password, deletion). Everything about a deleted account
 * but its id goes: the username becomes `deleted:{id}` (unique, and no one can register a name
 * with `:`), phone, password hash and last-seen are cleared.
 */
export class AccountRepository {
  constructor(private readonly em: EntityManager) {}

  async credentials(userId: string): Promise<AccountCredentials | undefined> {
    const rows = await this.em.execute<AccountCredentials[]>(
      'select id, username, password_hash from users where id = ? and deleted_at is null',
      [userId],
    );
    return rows[0];
  }

  async setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.em.execute('update users set password_hash = ?, updated_at = now() where id = ? and deleted_at is null', [
      passwordHash,
      userId,
    ]);
  }

  /** Strips the account of its personal data and marks it deleted; false when it already was. */
  async markDeleted(userId: string, placeholderName: string): Promise<boolean> {
    const rows = await this.em.execute<unknown[]>(
      `update users set username = ?, phone = null, password_hash = '', last_seen_at = null, deleted_at = now(), updated_at = now()
        where id = ? and deleted_at is null returning id`,
      [placeholderName, userId],
    );
    return rows.length > 0;
  }
}
