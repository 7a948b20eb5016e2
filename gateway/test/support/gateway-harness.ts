/**
 * Gateways built by their own factory against the run's real NATS JetStream and PostgreSQL.
 * Users, chats and memberships are written straight to the database, and membership changes
 * announced on NATS in the api's contract, which keeps these suites independent of the api.
 */
import pg from 'pg';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import {
  GatewayEnv,
  ORIGIN_CONNECTION_HEADER,
  SUBJECTS,
  connectNats,
  createLogger,
  provisionStreams,
  streamSettingsOf,
  signAccessToken,
  uuidv7,
  type ChatEvent,
  type ChatType,
  type MemberRole,
  type MemberStatus,
  type MembershipChangedEvent,
} from '@neonchat/common';
import { TEST_JWT_SECRET, TestSocket, seedChat, seedUser, testEnvironment, testServiceConfig } from '@neonchat/common/testing';
import { createGateway, type Gateway } from '../../src/mod.js';

export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly url: string;
  connect(user: TestUser, query?: string): Promise<TestSocket>;
}

let counter = 0;
const sockets: TestSocket[] = [];

export class GatewayHarness {
  readonly gateways: RunningGateway[] = [];

  private constructor(
    readonly pool: pg.Pool,
    readonly nc: NatsConnection,
  ) {}

  static async start(): Promise<GatewayHarness> {
    const env = testEnvironment();
    const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 4 });
    const nc = await connectNats({ url: env.natsUrl, name: 'gateway-test', logger: createLogger('test', 'silent') });
    const config = testServiceConfig(GatewayEnv);
    await provisionStreams(nc, streamSettingsOf(config));
    return new GatewayHarness(pool, nc);
  }

  async gateway(overrides: Record<string, string | number> = {}): Promise<RunningGateway> {
    const gateway = await createGateway(testServiceConfig(GatewayEnv, overrides));
    await gateway.listen();
    const url = `ws://127.0.0.1:${gateway.port}/ws`;
    const running: RunningGateway = {
      gateway,
      url,
      async connect(user, query = '') {
        const ws = await TestSocket.open(`${url}?token=${user.token}${query}`);
        sockets.push(ws);
        await ws.next((f) => f.type === 'ready');
        return ws;
      },
    };
    this.gateways.push(running);
    return running;
  }

  async user(ttlSeconds = 3600): Promise<TestUser> {
    counter += 1;
    const username = `gw_${process.pid}_${Date.now().toString(36)}_${counter}`;
    const id = await seedUser(this.pool, { username });
    return { id, username, token: signAccessToken({ id, username }, TEST_JWT_SECRET, ttlSeconds) };
  }

  /** A chat with its members; the first member creates it (and is admin outside direct chats). */
  async chat(type: ChatType, members: Array<TestUser | { user: TestUser; role: MemberRole }>): Promise<string> {
    const list = members.map((m) => ('user' in m ? m : { user: m, role: (type === 'direct' ? 'member' : 'member') as MemberRole }));
    return seedChat(this.pool, { type, members: list.map((m) => ({ userId: m.user.id, role: m.role })) });
  }

  /** Changes a membership in PostgreSQL, then announces it as the api does. */
  async setMembership(
    chatId: string,
    chatType: ChatType,
    user: TestUser,
    status: MemberStatus,
    role: MemberRole = 'member',
  ): Promise<void> {
    await this.pool.query(
      `insert into chat_members (chat_id, user_id, role, status) values ($1, $2, $3, $4)
       on conflict (chat_id, user_id) do update set role = excluded.role, status = excluded.status`,
      [chatId, user.id, role, status],
    );
    const event: MembershipChangedEvent = {
      type: 'membership.changed',
      chat_id: chatId,
      chat_type: chatType,
      user_id: user.id,
      role,
      status,
      at: new Date().toISOString(),
    };
    this.nc.publish(SUBJECTS.membership(chatId), JSON.stringify(event));
    await this.nc.flush();
  }

  /** Stores messages straight into the stream, as another gateway would; returns their seqs. */
  async storeMessages(
    chatId: string,
    sender: TestUser,
    count: number,
    text = (i: number) => `m${i}`,
  ): Promise<Array<{ id: string; seq: number }>> {
    const js = jetstream(this.nc);
    const out: Array<{ id: string; seq: number }> = [];
    const window = 100;
    for (let start = 0; start < count; start += window) {
      const acks = [];
      for (let i = start; i < Math.min(count, start + window); i++) {
        const event: ChatEvent = {
          type: 'message.created',
          id: uuidv7(),
          chat_id: chatId,
          sender_id: sender.id,
          text: text(i),
          created_at: new Date().toISOString(),
        };
        acks.push(js.publish(SUBJECTS.chatEvents(chatId), JSON.stringify(event)).then((ack) => ({ id: event.id, seq: ack.seq })));
      }
      // Publishes of one window are pipelined on one connection, so they are stored in this order.
      out.push(...(await Promise.all(acks)));
    }
    return out;
  }

  async storeEvent(event: ChatEvent, origin?: string): Promise<number> {
    const js = jetstream(this.nc);
    const headers = natsHeaders();
    if (origin) headers.set(ORIGIN_CONNECTION_HEADER, origin);
    const ack = await js.publish(SUBJECTS.chatEvents(event.chat_id), JSON.stringify(event), { headers });
    return ack.seq;
  }

  async close(): Promise<void> {
    await Promise.all(sockets.splice(0).map((s) => s.close().catch(() => undefined)));
    await Promise.all(this.gateways.splice(0).map((g) => g.gateway.close()));
    await this.nc.drain();
    await this.pool.end();
  }
}

/** Texts of the `new_message` frames a socket got for a chat, in arrival order. */
export function receivedTexts(ws: TestSocket, chatId: string): string[] {
  return ws
    .ofType('new_message')
    .map((f) => f.message as { chat_id: string; text: string })
    .filter((m) => m.chat_id === chatId)
    .map((m) => m.text);
}

export function seqsOf(ws: TestSocket, chatId: string): number[] {
  return ws
    .ofType('new_message')
    .map((f) => f.message as { chat_id: string; seq: number })
    .filter((m) => m.chat_id === chatId)
    .map((m) => m.seq);
}
