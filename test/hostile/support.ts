/**
 * Helpers for the hostile-input suites: raw HTTP (any method, headers, body bytes), group
 * chats, and a probe that waits until a socket's view of a chat has changed.
 */
import jwt from 'jsonwebtoken';
import { ERROR_CODES } from '@neonchat/common';
import { TEST_JWT_SECRET, type TestSocket, waitFor } from '@neonchat/common/testing';
import { http } from '../support/system.js';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { error?: { code?: string; message?: string; field?: string } } & Record<string, unknown>;
}

/** A request with whatever body bytes and headers; the body is parsed when it is JSON. */
export async function raw(method: string, url: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  const res = await fetch(url, { method, headers: init.headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  const text = await res.text();
  let body: RawAnswer['body'] = {};
  try {
    body = text ? (JSON.parse(text) as RawAnswer['body']) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, headers: res.headers, body };
}

/** JSON body, bearer token. */
export function json(method: string, url: string, body: unknown, token?: string): Promise<RawAnswer> {
  return raw(method, url, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
}

/** JSON nested 10,000 deep (20,000 bytes). */
export const DEEP = '['.repeat(10_000) + ']'.repeat(10_000);
/** A 1 MiB string. */
export const MIB = 'a'.repeat(1024 * 1024);

export const DOCUMENTED_CODES = new Set(Object.keys(ERROR_CODES));

/** A token signed with the test secret carrying any claims. */
export function signedToken(claims: Record<string, unknown>): string {
  return jwt.sign({ username: 'mallory', ...claims }, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: 600 });
}

export async function groupChat(apiUrl: string, token: string, type: 'group' | 'channel', memberIds: string[]): Promise<string> {
  const res = await http<{ id: string }>('POST', `${apiUrl}/chats`, { type, name: `hostile ${type}`, member_ids: memberIds }, token);
  if (res.status !== 201) throw new Error(`chat not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

let probe = 0;
/**
 * Waits until `open` of the chat on this socket answers with an error of `code` (the socket's
 * membership view changed), or with history when `code` is 'history'. `open` has no side effect.
 */
export async function waitOpenAnswer(ws: TestSocket, chatId: string, code: string): Promise<void> {
  await waitFor(
    async () => {
      const requestId = `probe-${(probe += 1)}`;
      ws.send({ type: 'open', chat_id: chatId, request_id: requestId });
      const answer = await ws.next((f) => f.request_id === requestId);
      return code === 'history' ? answer.type === 'history' : answer.type === 'error' && answer.code === code;
    },
    { what: `open of ${chatId} answered ${code}`, intervalMs: 50 },
  );
}
