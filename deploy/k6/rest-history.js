// NeonChat REST history load test for k6 (https://k6.io), seed §5.2: the history endpoint at
// 100 requests/s (p95 < 100 ms), then stepped up to find its maximum.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080/api/v1 -e WS_URL=ws://127.0.0.1:8082/ws \
//          -e RATE_LIMIT_PER_MINUTE=100 deploy/k6/rest-history.js
//
// Setup registers an author and READERS readers in one group chat, fills it with
// HISTORY_MESSAGES messages over the WebSocket (the only way messages enter NeonChat) at a
// pace under the gateway's per-socket rate limit, and waits until the persister has stored
// them. Requests are spread over the readers' tokens so that no user goes over the api's
// per-user limit (RATE_LIMIT_PER_MINUTE, which must be the api's). Every response is checked.
import http from 'k6/http';
import ws from 'k6/ws';
import { check, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { BASE_URL, WS_URL, groupChat, json, registerAndLogin } from './lib/neonchat.js';

const HISTORY_MESSAGES = Number(__ENV.HISTORY_MESSAGES || 500);
const PAGE = Number(__ENV.PAGE || 50);
const STEADY_RATE = Number(__ENV.STEADY_RATE || 100);
const MAX_RATE = Number(__ENV.MAX_RATE || 2000);
/** The api's per-user (and, before login, per-IP) budget per minute. */
const RATE_LIMIT_PER_MINUTE = Number(__ENV.RATE_LIMIT_PER_MINUTE || 100);
/** Frames per second the fill sends on its socket: under the gateway's 20/s per socket. */
const FILL_RATE = Number(__ENV.FILL_RATE || 15);
/** Enough readers that the highest rate stays at 80 % of each one's budget (a group takes 200 at creation). */
const READERS = Number(__ENV.READERS || Math.min(200, Math.max(2, Math.ceil((MAX_RATE * 60) / (RATE_LIMIT_PER_MINUTE * 0.8)))));

const pageMs = new Trend('history_page_ms', true);
const rateLimited = new Counter('history_rate_limited');

export const options = {
  setupTimeout: '10m',
  scenarios: {
    // The seed's figure: 100 requests/s.
    steady: {
      executor: 'constant-arrival-rate',
      rate: STEADY_RATE,
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
      startRate: STEADY_RATE,
      timeUnit: '1s',
      stages: [
        { target: Math.round(MAX_RATE / 2), duration: __ENV.RAMP_DURATION || '30s' },
        { target: MAX_RATE, duration: __ENV.RAMP_DURATION || '30s' },
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
    'history_rate_limited{phase:steady}': ['count<1'],
  },
};

/** Sends `count` messages on one socket at FILL_RATE/s, resending (same request_id) what was refused. */
function fillChat(token, chatId, count) {
  const acked = {};
  let ackedCount = 0;
  ws.connect(`${WS_URL}?token=${encodeURIComponent(token)}`, {}, (socket) => {
    const queue = [];
    const send = (n) => socket.send(JSON.stringify({ type: 'message', chat_id: chatId, text: `history ${n}`, request_id: `fill-${n}` }));
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw);
      if (frame.type === 'ready') {
        for (let n = 1; n <= count; n++) queue.push(n);
        socket.setInterval(() => {
          const n = queue.shift();
          if (n !== undefined) send(n);
        }, 1000 / FILL_RATE);
      } else if (frame.type === 'message_sent') {
        const n = Number(String(frame.request_id).slice('fill-'.length));
        if (!acked[n]) ackedCount += 1;
        acked[n] = true;
        if (ackedCount >= count) socket.close();
      } else if (frame.type === 'error' && frame.request_id) {
        // rate_limited or unavailable: send it again later, deduplicated by its request_id.
        queue.push(Number(String(frame.request_id).slice('fill-'.length)));
      }
    });
    socket.setTimeout(() => socket.close(), Math.max(60, (3 * count) / FILL_RATE) * 1000);
  });
  check(ackedCount, { 'the chat was filled (every message acked)': (n) => n === count });
  return ackedCount;
}

function getPage(token, query) {
  const res = http.get(`${BASE_URL}/chats/${query}`, json(token));
  if (res.status === 429) rateLimited.add(1);
  return res;
}

export function setup() {
  const run = Date.now().toString(36);
  const author = registerAndLogin(`k6h_${run}_author`);
  const readers = [];
  for (let i = 0; i < READERS; i++) readers.push(registerAndLogin(`k6h_${run}_r${i}`));
  const chatId = groupChat(author, readers, `k6 history ${run}`);
  const acked = fillChat(author.token, chatId, HISTORY_MESSAGES);
  // Wait until the persister has written them: the newest page then holds the last one sent.
  let newest;
  for (let i = 0; i < 60; i++) {
    newest = http.get(`${BASE_URL}/chats/${chatId}/messages?limit=${PAGE}`, json(author.token));
    if (newest.status === 200 && newest.json('messages').some((m) => m.text === `history ${HISTORY_MESSAGES}`)) break;
    sleep(1);
  }
  const page = newest.json('messages');
  const oldest = page.reduce((o, m) => (m.seq < o.seq ? m : o), page[0]);
  check(page, { 'persisted: the newest page holds the last message': (p) => p.length === PAGE && acked === HISTORY_MESSAGES });
  return { chatId, tokens: readers.map((r) => r.token), cursor: { id: oldest.id, seq: oldest.seq } };
}

export default function (data) {
  // Each request goes out under another reader's token, so each stays inside its own budget.
  const token = data.tokens[(__VU * 31 + __ITER) % data.tokens.length];
  if (__ITER % 2 === 0) {
    // The newest page, as a client opening the chat.
    const res = getPage(token, `${data.chatId}/messages?limit=${PAGE}`);
    pageMs.add(res.timings.duration);
    check(res, {
      'newest page 200': (r) => r.status === 200,
      'a full page, oldest first, ending with the last message': (r) => {
        if (r.status !== 200) return false;
        const m = r.json('messages');
        return (
          m.length === PAGE && m.every((x, i) => i === 0 || x.seq > m[i - 1].seq) && m[m.length - 1].text === `history ${HISTORY_MESSAGES}`
        );
      },
    });
  } else {
    // The page before it by keyset (before_id), as a client scrolling up.
    const res = getPage(token, `${data.chatId}/messages?limit=${PAGE}&before_id=${data.cursor.id}`);
    pageMs.add(res.timings.duration);
    check(res, {
      'older page 200': (r) => r.status === 200,
      'older page: only messages before the cursor': (r) => {
        if (r.status !== 200) return false;
        const m = r.json('messages');
        return m.length === Math.min(PAGE, HISTORY_MESSAGES - PAGE) && m.every((x) => x.seq < data.cursor.seq);
      },
    });
  }
}
