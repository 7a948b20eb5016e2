/**
 * The api built by its own factory against the run's real PostgreSQL, NATS and Redis, driven
 * with `app.inject`. Users and messages are written straight to the database where a test is
 * not about registering or sending, which keeps the suite fast.
 */
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { LightMyRequestResponse } from 'fastify';
import { ApiEnv, signAccessToken, uuidv7 } from '@neonchat/common';
import {
  TEST_JWT_SECRET,
  TEST_RATE_LIMIT_PER_MINUTE,
  seedMessages,
  seedUser,
  testServiceConfig,
  type SeedDb,
} from '@neonchat/common/testing';
import { createApiService, type ApiService } from '../../src/mod.js';

export interface Harness {
  readonly api: ApiService;
  request(method: string, url: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Reply>;
  user(prefix?: string): Promise<TestUser>;
  close(): Promise<void>;
}

export interface Reply {
  readonly status: number;
  readonly headers: LightMyRequestResponse['headers'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are inspected field by field
  readonly body: any;
}

export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

const PASSWORD_HASH = bcrypt.hashSync('secret-password', 4);
let counter = 0;

export function uniqueName(prefix = 'u'): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

export async function startHarness(
  overrides: Record<string, string | number> = {},
  options: { rateLimitNamespace?: string } = {},
): Promise<Harness> {
  const api = await createApiService(testServiceConfig(ApiEnv, { RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT_PER_MINUTE, ...overrides }), {
    rateLimitNamespace: options.rateLimitNamespace ?? `test:${randomUUID()}:`,
  });
  return {
    api,
    async request(method, url, { token, body, headers } = {}) {
      const res = await api.app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = res.body;
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON (docs UI, metrics): keep the text.
      }
      return { status: res.statusCode, headers: res.headers, body: parsed };
    },
    async user(prefix = 'u') {
      const id = uuidv7();
      const username = uniqueName(prefix);
      await seedUser(seedDbOf(api), { id, username, passwordHash: PASSWORD_HASH });
      return { id, username, token: signAccessToken({ id, username }, TEST_JWT_SECRET, 3600) };
    },
    close: () => api.close(),
  };
}

/**
 * Stores `count` messages the way the persister would (ids, increasing seq), optionally
 * alternating senders. Returns the ids in chat order.
 */
export async function storeMessages(
  api: ApiService,
  chatId: string,
  senders: readonly string[],
  count: number,
  firstSeq: number,
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => uuidv7());
  await seedMessages(seedDbOf(api), chatId, { ids, senders, firstSeq });
  return ids;
}

interface KnexPgClient {
  acquireConnection(): Promise<{ query(sql: string, params: unknown[]): Promise<unknown> }>;
  releaseConnection(connection: unknown): Promise<void>;
}

/** The shared test seeds (`$n` SQL) on the api's own pool: a `pg` connection borrowed from MikroORM's knex. */
function seedDbOf(api: ApiService): SeedDb {
  return {
    async query(sql, params) {
      const client = (api.orm.em.getConnection().getKnex() as unknown as { client: KnexPgClient }).client;
      const connection = await client.acquireConnection();
      try {
        return await connection.query(sql, params);
      } finally {
        await client.releaseConnection(connection);
      }
    },
  };
}
