import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { signAccessToken, uuidv7 } from '@neonchat/common';

export interface BenchUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

const INSERT_CHUNK = 5000;

/**
 * Users, chats and memberships written straight into the scenario's fresh database, and
 * tokens signed with the bench's JWT secret. Registering 50,000 users through the api would
 * spend most of the run in bcrypt (and hit its rate limit); what the bench measures starts at
 * the socket, and the gateway reads memberships from PostgreSQL when a socket connects, so
 * rows written before the sockets open are all it needs. The api's own paths are measured by
 * the history scenarios and the k6 scripts.
 */
export class BenchFixtures {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly jwtSecret: string,
  ) {}

  static open(databaseUrl: string, jwtSecret: string): BenchFixtures {
    return new BenchFixtures(new pg.Pool({ connectionString: databaseUrl, max: 2 }), jwtSecret);
  }

  async createUsers(count: number, prefix = 'bench'): Promise<BenchUser[]> {
    const run = randomUUID().slice(0, 6);
    const users: BenchUser[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      const username = `${prefix}_${run}_${i}`;
      users.push({ id, username, token: signAccessToken({ id, username }, this.jwtSecret, 24 * 3600) });
    }
    for (let i = 0; i < users.length; i += INSERT_CHUNK) {
      const chunk = users.slice(i, i + INSERT_CHUNK);
      // Not a usable bcrypt hash on purpose: these users cannot log in, they only hold tokens.
      await this.pool.query(`insert into users (id, username, password_hash) select * from unnest($1::uuid[], $2::text[], $3::text[])`, [
        chunk.map((u) => u.id),
        chunk.map((u) => u.username),
        chunk.map(() => 'bench-user-no-login'),
      ]);
    }
    return users;
  }

  /** One direct chat per pair; returns the chat ids in pair order. */
  async createDirectChats(pairs: Array<[BenchUser, BenchUser]>): Promise<string[]> {
    const ids = pairs.map(() => uuidv7());
    for (let i = 0; i < pairs.length; i += INSERT_CHUNK) {
      const chunk = pairs.slice(i, i + INSERT_CHUNK);
      const chunkIds = ids.slice(i, i + INSERT_CHUNK);
      await this.pool.query(
        `insert into chats (id, type, user1_id, user2_id, created_by)
         select id, 'direct', a, b, a from unnest($1::uuid[], $2::uuid[], $3::uuid[]) as t(id, a, b)`,
        [chunkIds, chunk.map(([a]) => a.id), chunk.map(([, b]) => b.id)],
      );
      await this.pool.query(
        `insert into chat_members (chat_id, user_id, role)
         select chat_id, user_id, 'member' from unnest($1::uuid[], $2::uuid[]) as t(chat_id, user_id)`,
        [chunkIds.flatMap((id) => [id, id]), chunk.flatMap(([a, b]) => [a.id, b.id])],
      );
    }
    return ids;
  }

  /** A group chat; the first member is its admin. */
  async createGroupChat(name: string, members: BenchUser[]): Promise<string> {
    const id = uuidv7();
    const creator = members[0];
    if (!creator) throw new Error('a group needs at least one member');
    await this.pool.query(`insert into chats (id, type, name, created_by) values ($1, 'group', $2, $3)`, [id, name, creator.id]);
    for (let i = 0; i < members.length; i += INSERT_CHUNK) {
      const chunk = members.slice(i, i + INSERT_CHUNK);
      await this.pool.query(
        `insert into chat_members (chat_id, user_id, role)
         select $1, user_id, case when user_id = $2 then 'admin' else 'member' end from unnest($3::uuid[]) as t(user_id)`,
        [id, creator.id, chunk.map((u) => u.id)],
      );
    }
    return id;
  }

  /** Messages the persister has written so far. */
  async persistedCount(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('select count(*) as n from messages');
    return Number(rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
