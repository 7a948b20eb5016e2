// NeonChat REST history load test for k6 (https://k6.io), seed §5.2: the history endpoint at
// 100 requests/s (p95 < 100 ms), then stepped up to find its maximum.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080/api/v1 -e WS_URL=ws://127.0.0.1:8082/ws deploy/k6/rest-history.js
//
// Setup registers two users, opens their chat and fills it with HISTORY_MESSAGES messages
// through the WebSocket (the only way messages enter NeonChat), then waits until the
// persister has stored them. Only k6's documented modules: k6/http, k6/ws, k6/metrics, k6.
import http from 'k6/http';
import ws from 'k6/ws';
import { check, sleep } from 'k6';
import { Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080/api/v1';
const WS_URL = __ENV.WS_URL || 'ws://127.0.0.1:8082/ws';
const HISTORY_MESSAGES = Number(__ENV.HISTORY_MESSAGES || 500);
const PAGE = Number(__ENV.PAGE || 50);
const MAX_RATE = Number(__ENV.MAX_RATE || 2000);
const PASSWORD = 'k6-load-test-password';

const pageMs = new Trend('history_page_ms', true);

export const options = {
  setupTimeout: '5m',
  scenarios: {
    // The seed's figure: 100 requests/s.
    steady: {
      executor: 'constant-arrival-rate',
      rate: 100,
      timeUnit: '1s',
      duration: __ENV.STEADY_DURATION || '1m',
      preAllocatedVUs: 20,
      maxVUs: 200,
      tags: { phase: 'steady' },
    },
    // Then the rate climbs until the api cannot keep up: read the maximum off the results.
    maximum: {
      executor: 'ramping-arrival-rate',
      startTime: __ENV.STEADY_DURATION || '1m',
      startRate: 100,
      timeUnit: '1s',
      stages: [
        { target: Math.round(MAX_RATE / 2), duration: '30s' },
        { target: MAX_RATE, duration: '30s' },
      ],
      preAllocatedVUs: 50,
      maxVUs: 1000,
      tags: { phase: 'maximum' },
    },
  },
  thresholds: {
    // The seed's target: REST p95 under 100 ms, held at 100 requests/s.
    'http_req_duration{phase:steady}': ['p(95)<100'],
    'history_page_ms{phase:steady}': ['p(95)<100'],
    'http_req_failed{phase:steady}': ['rate<0.01'],
    'checks{phase:steady}': ['rate>0.99'],
  },
};

function json(token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  return { headers };
}

function registerAndLogin(username) {
  const reg = http.post(`${BASE_URL}/auth/register`, JSON.stringify({ username, password: PASSWORD }), json());
  check(reg, { 'register 201': (r) => r.status === 201 });
  const login = http.post(`${BASE_URL}/auth/login`, JSON.stringify({ username, password: PASSWORD }), json());
  check(login, { 'login 200': (r) => r.status === 200 });
  return { id: reg.json('id'), token: login.json('token') };
}

function fillChat(token, chatId, count) {
  let acked = 0;
  ws.connect(`${WS_URL}?token=${encodeURIComponent(token)}`, {}, (socket) => {
    let sent = 0;
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw);
      if (frame.type === 'ready' || frame.type === 'message_sent') {
        if (frame.type === 'message_sent') acked += 1;
        if (acked >= count) return socket.close();
        // One in flight at a time keeps under the gateway's per-socket rate limit.
        if (sent === acked) {
          sent += 1;
          socket.send(JSON.stringify({ type: 'message', chat_id: chatId, text: `history ${sent}`, request_id: `fill-${sent}` }));
        }
      } else if (frame.type === 'error' && frame.code === 'rate_limited') {
        socket.setTimeout(() => {
          socket.send(JSON.stringify({ type: 'message', chat_id: chatId, text: `history ${sent}`, request_id: `fill-${sent}` }));
        }, 100);
      }
    });
    socket.setTimeout(() => socket.close(), 120000);
  });
  return acked;
}

export function setup() {
  const run = Date.now().toString(36);
  const a = registerAndLogin(`k6h_${run}_a`);
  const b = registerAndLogin(`k6h_${run}_b`);
  const chat = http.post(`${BASE_URL}/chats`, JSON.stringify({ partner_id: b.id }), json(a.token));
  check(chat, { 'chat created': (r) => r.status === 201 || r.status === 200 });
  const chatId = chat.json('id');
  const acked = fillChat(a.token, chatId, HISTORY_MESSAGES);
  // Wait until the persister has written them: the newest page then holds the last one sent.
  for (let i = 0; i < 60; i++) {
    const page = http.get(`${BASE_URL}/chats/${chatId}/messages?limit=1`, json(b.token));
    if (page.status === 200 && page.json('messages.0.text') === `history ${acked}`) break;
    sleep(1);
  }
  return { chatId, token: b.token };
}

export default function (data) {
  // The newest page, then the page before it by keyset (before_id), as a client scrolling up.
  const newest = http.get(`${BASE_URL}/chats/${data.chatId}/messages?limit=${PAGE}`, json(data.token));
  pageMs.add(newest.timings.duration);
  const ok = check(newest, {
    'history 200': (r) => r.status === 200,
    'a full page': (r) => r.json('messages').length === PAGE,
  });
  if (!ok) return;
  const messages = newest.json('messages');
  const oldestId = messages.reduce((oldest, m) => (m.seq < oldest.seq ? m : oldest), messages[0]).id;
  const older = http.get(`${BASE_URL}/chats/${data.chatId}/messages?limit=${PAGE}&before_id=${oldestId}`, json(data.token));
  pageMs.add(older.timings.duration);
  check(older, {
    'older page 200': (r) => r.status === 200,
    'no overlap with the newest page': (r) => r.json('messages').every((m) => messages.every((n) => n.id !== m.id)),
  });
}
