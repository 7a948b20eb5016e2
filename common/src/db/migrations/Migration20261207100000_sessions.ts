import { Migration } from '@mikro-orm/migrations';

/**
 * Accounts and sessions (issue 27).
 *
 * - `sessions`: one per login, the family of its refresh tokens. Ended (logout, revoked, reuse
 *   of a rotated token, password change, account deletion) by setting `ended_at`; kept a while
 *   so `GET /me/sessions` and audits can see what ended.
 * - `refresh_tokens`: only the SHA-256 of each opaque token is stored. A token is current while
 *   `rotated_at` is null; using it rotates it. A rotated token presented again is a reuse: the
 *   whole session ends (OAuth 2.0 Security BCP, refresh token rotation).
 * - `user_blocks`: who blocked whom. A blocked user cannot open or write into a 1:1 chat with
 *   the blocker, nor find them in search.
 * - `users.deleted_at`: a deleted account keeps its row (messages and chats point at it) with
 *   no personal data: the username is replaced by `deleted:{id}` (no one can register a name
 *   with `:`), phone, password hash and last-seen are cleared.
 */
export class Migration20261207100000Sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table sessions (
        id uuid primary key,
        user_id uuid not null references users (id),
        user_agent varchar(256) not null default '',
        ip varchar(64) not null default '',
        created_at timestamptz not null default now(),
        last_used_at timestamptz not null default now(),
        expires_at timestamptz not null,
        ended_at timestamptz
      );`);
    this.addSql(`create index sessions_user_idx on sessions (user_id, created_at desc);`);
    this.addSql(`
      create table refresh_tokens (
        token_hash bytea primary key check (octet_length(token_hash) = 32),
        session_id uuid not null references sessions (id) on delete cascade,
        created_at timestamptz not null default now(),
        rotated_at timestamptz
      );`);
    this.addSql(`create index refresh_tokens_session_idx on refresh_tokens (session_id);`);
    this.addSql(`
      create table user_blocks (
        blocker_id uuid not null references users (id),
        blocked_id uuid not null references users (id),
        created_at timestamptz not null default now(),
        primary key (blocker_id, blocked_id),
        check (blocker_id <> blocked_id)
      );`);
    this.addSql(`create index user_blocks_blocked_idx on user_blocks (blocked_id, blocker_id);`);
    this.addSql(`alter table users add column deleted_at timestamptz;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table users drop column deleted_at;`);
    this.addSql(`drop table user_blocks;`);
    this.addSql(`drop table refresh_tokens;`);
    this.addSql(`drop table sessions;`);
  }
}
