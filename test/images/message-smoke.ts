/**
 * The smoke test that a running NeonChat stack passes, whatever runs it (the images on host
 * networking, the compose stack behind its balancer): two new users, their chat, `count`
 * messages from one socket to the other, each acked, delivered and then read back from the
 * REST history (so the persister stored them), and the partner shown online (so presence
 * works). Only loopback URLs are given to it.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestSocket, waitFor } from '@neonchat/common/testing';

/** 16 frames/s: under the gateway's default rate of 20/s whatever its burst. */
const SEND_INTERVAL_MS = 60;

export interface SmokeTarget {
  /** e.g. http://127.0.0.1:8080/api/v1 */
  readonly apiUrl: string;
  /** e.g. ws://127.0.0.1:8082/ws */
  readonly wsUrl: string;
}

export interface SmokeResult {
  readonly sent: number;
  readonly delivered: number;
  readonly stored: number;
  readonly partnerOnline: boolean;
  readonly ms: number;
}

interface Account {
  readonly id: string;
  readonly token: string;
}

async function call<T>(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
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

async function account(apiUrl: string, prefix: string): Promise<Account> {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`;
  const password = 'smoke-password';
  const reg = await call<{ id: string }>('POST', `${apiUrl}/auth/register`, { username, password });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call<{ token: string }>('POST', `${apiUrl}/auth/login`, { username, password });
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status}`);
  return { id: reg.body.id, token: login.body.token };
}

export async function messageSmoke(target: SmokeTarget, count = 20): Promise<SmokeResult> {
  const started = Date.now();
  const alice = await account(target.apiUrl, 'smoke_alice');
  const bob = await account(target.apiUrl, 'smoke_bob');
  const chat = await call<{ id: string }>('POST', `${target.apiUrl}/chats`, { partner_id: bob.id }, alice.token);
  if (chat.status !== 201) throw new Error(`chat: ${chat.status} ${JSON.stringify(chat.body)}`);
  const aliceWs = await TestSocket.open(`${target.wsUrl}?token=${alice.token}`);
  const bobWs = await TestSocket.open(`${target.wsUrl}?token=${bob.token}`);
  try {
    // A gateway just started on a loaded box can take more than next()'s default 10 s.
    await aliceWs.next((f) => f.type === 'ready', 30_000);
    await bobWs.next((f) => f.type === 'ready', 30_000);
    const texts = Array.from({ length: count }, (_, i) => `smoke ${i + 1} of ${count}`);
    for (const [i, text] of texts.entries()) {
      // Below the gateway's frame rate (GATEWAY_RATE_PER_SECOND 20, burst 40): a stack that
      // acks in a few ms would otherwise answer the 41st message with `rate_limited`.
      if (i > 0) await sleep(SEND_INTERVAL_MS);
      aliceWs.send({ type: 'message', chat_id: chat.body.id, text, request_id: `smoke-${i}` });
      const sent = await aliceWs.next((f) => f.type === 'message_sent' && f.request_id === `smoke-${i}`, 30_000);
      if (sent.status !== 'delivered') throw new Error(`message ${i}: ${JSON.stringify(sent)}`);
    }
    await waitFor(() => bobWs.ofType('new_message').length >= count, { timeoutMs: 30_000, what: `${count} messages at bob's socket` });
    const delivered = bobWs.ofType('new_message').length;
    const history = await waitFor(
      async () => {
        const page = await call<{ messages: { text: string }[] }>(
          'GET',
          `${target.apiUrl}/chats/${chat.body.id}/messages?limit=100`,
          undefined,
          bob.token,
        );
        const stored = new Set(page.body.messages.map((m) => m.text));
        return texts.every((t) => stored.has(t)) ? page.body.messages : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${count} messages in the REST history` },
    );
    const partnerOnline = await waitFor(
      async () => {
        const list = await call<{ chats: { partner?: { online: boolean } }[] }>('GET', `${target.apiUrl}/chats`, undefined, alice.token);
        return list.body.chats.some((c) => c.partner?.online === true);
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'bob online in alice’s chat list' },
    );
    return { sent: count, delivered, stored: history.length, partnerOnline, ms: Date.now() - started };
  } finally {
    await Promise.all([aliceWs.close(), bobWs.close()]);
  }
}
