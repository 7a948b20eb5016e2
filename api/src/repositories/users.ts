import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { UserEntity } from '@neonchat/common/db';
import { uuidv7 } from '@neonchat/common/runtime';
import { uuidArray } from './sql-arrays.js';

export interface UserCredentials {
  readonly id: string;
  readonly username: string;
  readonly password_hash: string;
}

export interface UserProfileRow {
  readonly id: string;
  readonly username: string;
  readonly phone: string | null;
  readonly created_at: Date | string;
}

export interface UserListRow {
  readonly id: string;
  readonly username: string;
  readonly last_seen_at: Date | string | null;
}

export interface RegisteredUser {
  readonly id: string;
  readonly username: string;
  readonly createdAt: Date;
}

/** A username or phone already taken: which unique index refused the insert. */
export class DuplicateUserError extends Error {
  constructor(
    readonly field: 'username' | 'phone',
    options: { cause: unknown },
  ) {
    super(`${field} is already taken`, options);
    this.name = 'DuplicateUserError';
  }
}

/** The unique index a duplicate hit, from the driver error's `constraint` (never its message, which holds the row). */
function duplicateField(err: UniqueConstraintViolationException): 'username' | 'phone' {
  const constraint = (err as { constraint?: unknown }).constraint;
  return constraint === 'users_phone_key' ? 'phone' : 'username';
}

/**
 * `users` as the api reads and writes it: accounts (registration is a MikroORM entity write),
 * credentials, the directory. `last_seen_at` is presence's column: read here, never written.
 */
export class UserRepository {
  constructor(private readonly em: EntityManager) {}

  /** A new account; a taken username or phone is a DuplicateUserError. */
  async register(input: { username: string; phone: string | null; passwordHash: string }): Promise<RegisteredUser> {
    const now = new Date();
    const user = this.em.create(UserEntity, { id: uuidv7(), ...input, createdAt: now, updatedAt: now });
    try {
      await this.em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new DuplicateUserError(duplicateField(err), { cause: err });
      throw err;
    }
    return { id: user.id, username: user.username, createdAt: user.createdAt };
  }

  async exists(userId: string): Promise<boolean> {
    const rows = await this.em.execute<unknown[]>('select 1 from users where id = ? and deleted_at is null', [userId]);
    return rows.length > 0;
  }

  /** How many of `userIds` (distinct, validated uuids) name accounts. */
  async countExisting(userIds: readonly string[]): Promise<number> {
    const rows = await this.em.execute<Array<{ id: string }>>('select id from users where id = any(?::uuid[]) and deleted_at is null', [
      uuidArray(userIds),
    ]);
    return rows.length;
  }

  async credentialsByUsername(username: string): Promise<UserCredentials | undefined> {
    const rows = await this.em.execute<UserCredentials[]>(
      'select id, username, password_hash from users where lower(username) = lower(?) and deleted_at is null',
      [username],
    );
    return rows[0];
  }

  async credentialsByPhone(phone: string): Promise<UserCredentials | undefined> {
    const rows = await this.em.execute<UserCredentials[]>(
      'select id, username, password_hash from users where phone = ? and deleted_at is null',
      [phone],
    );
    return rows[0];
  }

  async profile(userId: string): Promise<UserProfileRow | undefined> {
    const rows = await this.em.execute<UserProfileRow[]>(
      'select id, username, phone, created_at from users where id = ? and deleted_at is null',
      [userId],
    );
    return rows[0];
  }

  async publicUser(userId: string): Promise<{ id: string; username: string } | undefined> {
    const rows = await this.em.execute<Array<{ id: string; username: string }>>(
      'select id, username from users where id = ? and deleted_at is null',
      [userId],
    );
    return rows[0];
  }

  /**
   * Users whose lower-cased username matches `likePattern` (already escaped), in that order.
   * `lower(username) like 'prefix%'` ordered by `lower(username)` is what the
   * `users_username_lower_key` (text_pattern_ops) index serves.
   */
  async searchByPrefix(likePattern: string, excludeId: string, limit: number, offset: number): Promise<UserListRow[]> {
    // Deleted accounts and people who blocked the caller are left out (issue 27).
    return this.em.execute<UserListRow[]>(
      `select id, username, last_seen_at from users
        where lower(username) like ? and id <> ? and deleted_at is null
          and not exists (select 1 from user_blocks b where b.blocker_id = users.id and b.blocked_id = ?)
        order by lower(username) limit ? offset ?`,
      [likePattern, excludeId, excludeId, limit, offset],
    );
  }
}
