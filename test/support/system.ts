/**
 * The whole system in one process for end-to-end tests: api, gateway, persister and presence
 * built by the same factories `main.ts` uses, against the run's real NATS, PostgreSQL and Redis.
 */
import type { AddressInfo } from 'node:net';
import { ApiEnv, GatewayEnv, PersisterEnv, PresenceEnv } from '@neonchat/common';
import { TEST_RATE_LIMIT_PER_MINUTE, testServiceConfig } from '@neonchat/common/testing';
import { createApiService, type ApiService } from '@neonchat/api';
import { createGateway, type Gateway } from '@neonchat/gateway';
import { createPersister, type Persister } from '@neonchat/persister';
import { createPresenceService, type PresenceService } from '@neonchat/presence';

export interface RunningSystem {
  readonly api: ApiService;
  readonly gateway: Gateway;
  readonly persister: Persister;
  readonly presence: PresenceService;
  readonly apiUrl: string;
  readonly wsUrl: string;
  stop(): Promise<void>;
}

export async function startSystem(given: Record<string, string | number> = {}): Promise<RunningSystem> {
  // High unless a test asks for the limit itself (see TEST_RATE_LIMIT_PER_MINUTE).
  const overrides = { RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT_PER_MINUTE, ...given };
  const api = await createApiService(testServiceConfig(ApiEnv, overrides));
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const gateway = await createGateway(testServiceConfig(GatewayEnv, overrides));
  await gateway.listen();
  const persister = await createPersister(testServiceConfig(PersisterEnv, overrides));
  await persister.start();
  const presence = await createPresenceService(testServiceConfig(PresenceEnv, overrides));
  const { port } = api.app.server.address() as AddressInfo;
  return {
    api,
    gateway,
    persister,
    presence,
    apiUrl: `http://127.0.0.1:${port}/api/v1`,
    wsUrl: `ws://127.0.0.1:${gateway.port}/ws`,
    async stop() {
      await gateway.close();
      await persister.close();
      await presence.close();
      await api.close();
    },
  };
}

/** JSON over HTTP against the running api. */
export async function http<T = Record<string, unknown>>(
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

let counter = 0;
/** A username no other test uses. */
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

export async function registerAndLogin(apiUrl: string, name = uniqueName()): Promise<{ id: string; username: string; token: string }> {
  const reg = await http<{ id: string }>('POST', `${apiUrl}/auth/register`, { username: name, password: 'secret-password' });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await http<{ token: string }>('POST', `${apiUrl}/auth/login`, { username: name, password: 'secret-password' });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  return { id: reg.body.id, username: name, token: login.body.token };
}

/** A new group chat of `owner` with `members` (a unique name); throws unless the api answers 201. */
export async function createGroup(apiUrl: string, owner: { token: string }, members: ReadonlyArray<{ id: string }>): Promise<string> {
  const res = await http<{ id: string }>(
    'POST',
    `${apiUrl}/chats`,
    { type: 'group', name: uniqueName('g'), member_ids: members.map((m) => m.id) },
    owner.token,
  );
  if (res.status !== 201) throw new Error(`create group failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}
