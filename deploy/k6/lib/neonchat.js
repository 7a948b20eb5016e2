// Helpers shared by the k6 scripts: REST calls that respect the api's rate limit.
import http from 'k6/http';
import { check, sleep } from 'k6';

export const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080/api/v1';
export const WS_URL = __ENV.WS_URL || 'ws://127.0.0.1:8082/ws';
const PASSWORD = 'k6-load-test-password';

export function json(token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  return { headers };
}

/**
 * A request repeated while the api answers 429: registration and login are counted per IP
 * (every VU here shares one), so a setup of many users waits for the window instead of failing.
 */
export function withRetry(send, what) {
  for (let attempt = 0; attempt < 120; attempt++) {
    const res = send();
    if (res.status !== 429) return res;
    const retryAfterS = Number(res.headers['Retry-After'] || 0);
    sleep(Math.min(10, Math.max(1, retryAfterS)));
  }
  throw new Error(`${what}: still rate limited after 120 attempts`);
}

export function registerAndLogin(username) {
  const body = JSON.stringify({ username, password: PASSWORD });
  const reg = withRetry(() => http.post(`${BASE_URL}/auth/register`, body, json()), 'register');
  check(reg, { 'register 201': (r) => r.status === 201 });
  const login = withRetry(() => http.post(`${BASE_URL}/auth/login`, body, json()), 'login');
  check(login, { 'login 200': (r) => r.status === 200 });
  return { id: reg.json('id'), token: login.json('token') };
}

/** A direct chat between two users (the seed's `POST /chats {partner_id}`). */
export function directChat(a, b) {
  const chat = withRetry(() => http.post(`${BASE_URL}/chats`, JSON.stringify({ partner_id: b.id }), json(a.token)), 'chat');
  check(chat, { 'chat created': (r) => r.status === 201 || r.status === 200 });
  return chat.json('id');
}

/** A group chat of `owner` and up to 200 others. */
export function groupChat(owner, others, name) {
  const body = JSON.stringify({ type: 'group', name, member_ids: others.map((u) => u.id) });
  const chat = withRetry(() => http.post(`${BASE_URL}/chats`, body, json(owner.token)), 'group');
  check(chat, { 'group created': (r) => r.status === 201 || r.status === 200 });
  return chat.json('id');
}

/** The gateway's resident memory from its Prometheus endpoint (`METRICS_URL`), or undefined. */
export function gatewayRssBytes() {
  if (!__ENV.METRICS_URL) return undefined;
  const res = http.get(__ENV.METRICS_URL);
  if (res.status !== 200) return undefined;
  const line = String(res.body)
    .split('\n')
    .find((l) => l.startsWith('process_resident_memory_bytes') || l.includes('_process_resident_memory_bytes '));
  return line ? Number(line.trim().split(/\s+/).pop()) : undefined;
}
