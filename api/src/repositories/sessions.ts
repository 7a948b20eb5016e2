import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidArray } from './sql-arrays.js';

/** Where a session was opened or last refreshed from, as the api saw the request. */
export interface ClientInfo {
  readonly userAgent: string;
  readonly ip: string;
}

export interface SessionRow {
  readonly id: string;
  readonly user_agent: string;
  readonly ip: string;
  readonly created_at: Date | string;
  readonly last_used_at: Date | string;
}

/**
 * `sessions` and `refresh_tokens` (their one writer). A session is a family of refresh tokens;
 * only a token's SHA-256 is stored, and a token is current while `rotated_at` is null.
 */
export class SessionRepository {
  constructor(private readonly em: EntityManager) {}

  /** A new session with its first refresh token (run in a transaction). */
  async create(sessionId: string, userId: string, client: ClientInfo, refreshTtlSeconds: number, tokenHash: Buffer): Promise<void> {
    await this.em.execute(
      `insert into sessions (id, user_id, user_agent, ip, expires_at) values (?, ?, ?, ?, now() + make_interval(secs => ?))`,
      [sessionId, userId, client.userAgent, client.ip, refreshTtlSeconds],
    );
    await this.addToken(tokenHash, sessionId);
  }

  async addToken(tokenHash: Buffer, sessionId: string): Promise<void> {
    await this.em.execute('insert into refresh_tokens (token_hash, session_id) values (?, ?)', [tokenHash, sessionId]);
  }

  /** Marks a current token used (rotated) and names its session; undefined when it was not current. */
  async rotateToken(tokenHash: Buffer): Promise<string | undefined> {
    const rows = await this.em.execute<Array<{ session_id: string }>>(
      'update refresh_tokens set rotated_at = now() where token_hash = ? and rotated_at is null returning session_id',
      [tokenHash],
    );
    return rows[0]?.session_id;
  }

  /** Extends a session that is open, unexpired and of a live account; its user, or undefined. */
  async extend(
    sessionId: string,
    refreshTtlSeconds: number,
    client: ClientInfo,
  ): Promise<{ user_id: string; username: string } | undefined> {
    const rows = await this.em.execute<Array<{ user_id: string; username: string }>>(
      `update sessions s set last_used_at = now(), expires_at = now() + make_interval(secs => ?), user_agent = ?, ip = ?
         from users u
        where s.id = ? and u.id = s.user_id and s.ended_at is null and s.expires_at > now() and u.deleted_at is null
        returning s.user_id, u.username`,
      [refreshTtlSeconds, client.userAgent, client.ip, sessionId],
    );
    return rows[0];
  }

  /** The session a token (current or rotated) belongs to, and its user. */
  async tokenOwner(tokenHash: Buffer): Promise<{ session_id: string; user_id: string } | undefined> {
    const rows = await this.em.execute<Array<{ session_id: string; user_id: string }>>(
      'select t.session_id, s.user_id from refresh_tokens t join sessions s on s.id = t.session_id where t.token_hash = ?',
      [tokenHash],
    );
    return rows[0];
  }

  /** The user's sessions that can still be refreshed, newest first (bounded). */
  async listOpen(userId: string, limit: number): Promise<SessionRow[]> {
    return this.em.execute<SessionRow[]>(
      `select id, user_agent, ip, created_at, last_used_at from sessions
        where user_id = ? and ended_at is null and expires_at > now()
        order by created_at desc, id limit ?`,
      [userId, limit],
    );
  }

  /** Whether this user (and only this user) has this session open. */
  async isOpen(userId: string, sessionId: string): Promise<boolean> {
    const rows = await this.em.execute<unknown[]>('select 1 from sessions where id = ? and user_id = ? and ended_at is null', [
      sessionId,
      userId,
    ]);
    return rows.length > 0;
  }

  /** The user's open sessions except `keep` (all when undefined). */
  async openIds(userId: string, keep: string | undefined): Promise<string[]> {
    const rows = await this.em.execute<Array<{ id: string }>>(
      'select id from sessions where user_id = ? and ended_at is null and id is distinct from ?::uuid',
      [userId, keep ?? null],
    );
    return rows.map((r) => r.id);
  }

  /** Ends sessions of this user; another user's ids are left alone. */
  async end(userId: string, sessionIds: readonly string[]): Promise<void> {
    if (!sessionIds.length) return;
    await this.em.execute('update sessions set ended_at = now() where user_id = ? and id = any(?::uuid[]) and ended_at is null', [
      userId,
      uuidArray(sessionIds),
    ]);
  }

  /** Ends every session of the user and forgets their refresh tokens (account deletion). */
  async endAllAndForget(userId: string): Promise<void> {
    await this.em.execute('update sessions set ended_at = now() where user_id = ? and ended_at is null', [userId]);
    await this.em.execute('delete from refresh_tokens t using sessions s where s.id = t.session_id and s.user_id = ?', [userId]);
  }
}
