import type pg from 'pg';

/** `users.last_seen_at` in PostgreSQL: written when a user goes offline, read for offline users. */
export class LastSeenStore {
  constructor(private readonly pool: pg.Pool) {}

  /** One statement for a whole batch; never moves a user's last_seen backwards. */
  async recordOffline(entries: ReadonlyArray<{ user_id: string; last_seen: number }>): Promise<void> {
    if (entries.length === 0) return;
    await this.pool.query(
      `update users u set last_seen_at = greatest(u.last_seen_at, v.seen)
         from (select unnest($1::uuid[]) as id, to_timestamp(unnest($2::float8[]) / 1000.0) as seen) v
        where u.id = v.id`,
      [entries.map((e) => e.user_id), entries.map((e) => e.last_seen)],
    );
  }

  /** Unix ms of each user's last_seen_at, for those that have one. */
  async lastSeen(userIds: readonly string[]): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    if (userIds.length === 0) return seen;
    const { rows } = await this.pool.query<{ id: string; ms: string }>(
      `select id, (extract(epoch from last_seen_at) * 1000)::bigint::text as ms
         from users where id = any($1::uuid[]) and last_seen_at is not null`,
      [userIds],
    );
    for (const row of rows) seen.set(row.id, Number(row.ms));
    return seen;
  }
}
