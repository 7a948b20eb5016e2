// NeonChat: the seed's 5,000 concurrent WebSocket connections, held while a light chat probe
// measures send → receive with all of them open.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080/api/v1 -e WS_URL=ws://127.0.0.1:8082/ws deploy/k6/ws-sockets.js
//
// One VU per socket. Sockets are spread over users, at most SOCKETS_PER_USER each (the
// gateway's GATEWAY_MAX_SOCKETS_PER_USER, 20 by default), so setup registers SOCKETS / 20
// users, paired in direct chats. Sockets open over RAMP_S, then all stay open HOLD_S; each
// pings the gateway, and sends one message every PROBE_INTERVAL_MS into its chat.
import ws from 'k6/ws';
import { check, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { WS_URL, directChat, registerAndLogin } from './lib/neonchat.js';

const SOCKETS = Number(__ENV.SOCKETS || 5000);
const SOCKETS_PER_USER = Number(__ENV.SOCKETS_PER_USER || 20);
const RAMP_S = Number(__ENV.RAMP_S || 60);
const HOLD_S = Number(__ENV.HOLD_S || 60);
/** With 5,000 sockets, one message per socket every 20 s is 250 msg/s. */
const PROBE_INTERVAL_MS = Number(__ENV.PROBE_INTERVAL_MS || 20000);
const USERS = Math.ceil(SOCKETS / SOCKETS_PER_USER / 2) * 2;

const readyMs = new Trend('socket_ready_ms', true);
const socketsReady = new Counter('sockets_ready');
const socketsHeld = new Counter('sockets_held_to_end');
const droppedEarly = new Counter('sockets_closed_early');
const deliveryMs = new Trend('chat_delivery_ms', true);
const errorFrames = new Counter('chat_error_frames');
const openFailed = new Counter('sockets_open_failed');

export const options = {
  setupTimeout: '10m',
  scenarios: {
    sockets: {
      executor: 'per-vu-iterations',
      vus: SOCKETS,
      iterations: 1,
      maxDuration: `${RAMP_S + HOLD_S + 120}s`,
    },
  },
  thresholds: {
    sockets_ready: [`count>=${SOCKETS}`],
    sockets_held_to_end: [`count>=${SOCKETS}`],
    sockets_closed_early: ['count<1'],
    sockets_open_failed: ['count<1'],
    // The seed's latency target, measured with every socket open.
    chat_delivery_ms: ['p(95)<50'],
    chat_error_frames: ['count<1'],
  },
};

export function setup() {
  const run = Date.now().toString(36);
  const chats = [];
  for (let i = 0; i < USERS / 2; i++) {
    const a = registerAndLogin(`k6s_${run}_${i}_a`);
    const b = registerAndLogin(`k6s_${run}_${i}_b`);
    chats.push({ chatId: directChat(a, b), members: [a, b] });
  }
  // Every VU opens on this schedule, whenever setup ended for it.
  return { chats, openFrom: Date.now() + 2000 };
}

export default function (data) {
  const index = __VU - 1;
  const user = Math.floor(index / SOCKETS_PER_USER);
  const chat = data.chats[Math.floor(user / 2) % data.chats.length];
  const me = chat.members[user % 2];
  const openAt = data.openFrom + (index * RAMP_S * 1000) / SOCKETS;
  const closeAt = data.openFrom + (RAMP_S + HOLD_S) * 1000;
  sleep(Math.max(0, openAt - Date.now()) / 1000);
  const started = Date.now();
  let ready = false;
  let closing = false;
  let counter = 0;
  const res = ws.connect(`${WS_URL}?token=${encodeURIComponent(me.token)}`, {}, (socket) => {
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw);
      if (frame.type === 'ready') {
        ready = true;
        readyMs.add(Date.now() - started);
        socketsReady.add(1);
        // Spread the probe over the interval so 5,000 sockets do not send in the same tick.
        socket.setTimeout(
          () =>
            socket.setInterval(() => {
              if (closing) return;
              counter += 1;
              const requestId = `s${__VU}-${counter}`;
              socket.send(
                JSON.stringify({ type: 'message', chat_id: chat.chatId, text: `${Date.now()}|${requestId}|k6`, request_id: requestId }),
              );
            }, PROBE_INTERVAL_MS),
          Math.random() * PROBE_INTERVAL_MS,
        );
      } else if (frame.type === 'new_message') {
        const sentAt = Number(String(frame.message.text).split('|')[0]);
        if (sentAt > 0) deliveryMs.add(Date.now() - sentAt);
      } else if (frame.type === 'error') {
        errorFrames.add(1, { code: frame.code });
      }
    });
    socket.on('error', (e) => {
      if (!ready) openFailed.add(1, { reason: String(e.error()).slice(0, 80) });
    });
    socket.on('close', () => {
      if (!closing) droppedEarly.add(1);
    });
    socket.setTimeout(
      () => {
        closing = true;
        if (ready) socketsHeld.add(1);
        socket.close();
      },
      Math.max(1000, closeAt - Date.now()),
    );
  });
  const upgraded = check(res, { 'websocket upgraded (101)': (r) => r && r.status === 101 });
  // Why it failed, by HTTP status (0: no answer, e.g. a connect or handshake timeout).
  if (!upgraded) openFailed.add(1, { reason: `http ${res ? res.status : 'none'}` });
}
