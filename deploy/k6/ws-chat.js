// NeonChat WebSocket chat load test for k6 (https://k6.io), seed §5.2: pairs of users chat over
// the real protocol and every delivery is timed from the send timestamp carried in the text.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080/api/v1 -e WS_URL=ws://127.0.0.1:8082/ws deploy/k6/ws-chat.js
//
// Only k6's documented modules: k6/http, k6/ws, k6/metrics, k6.
import ws from 'k6/ws';
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { WS_URL, directChat, registerAndLogin } from './lib/neonchat.js';

/** Chats; each has two virtual users, one per member. */
const PAIRS = Number(__ENV.PAIRS || 50);
/** Each VU sends one message per interval: PAIRS × 2 × 1000 / SEND_INTERVAL_MS msg/s in all. */
const SEND_INTERVAL_MS = Number(__ENV.SEND_INTERVAL_MS || 1000);
/** How long each socket stays open before the VU reconnects. */
const SESSION_S = Number(__ENV.SESSION_S || 30);
/**
 * Sending stops this long before a session closes, so every message sent gets its ack before
 * the close: one sent in the same tick as the close would otherwise count as not acked.
 */
const DRAIN_MS = Number(__ENV.DRAIN_MS || 2000);

const deliveryMs = new Trend('chat_delivery_ms', true);
const ackMs = new Trend('chat_ack_ms', true);
const messageSent = new Rate('chat_message_sent');
const errorFrames = new Counter('chat_error_frames');

export const options = {
  setupTimeout: '5m',
  scenarios: {
    // A session that started just before the end may finish: one cut short counts its unacked sends as failed.
    chat: { executor: 'constant-vus', vus: PAIRS * 2, duration: __ENV.DURATION || '1m', gracefulStop: `${SESSION_S + 10}s` },
  },
  thresholds: {
    // The seed's target: send → receive p95 under 50 ms.
    chat_delivery_ms: ['p(95)<50'],
    chat_message_sent: ['rate>0.99'],
    chat_error_frames: ['count<1'],
    checks: ['rate>0.99'],
  },
};

export function setup() {
  const run = Date.now().toString(36);
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const a = registerAndLogin(`k6_${run}_${i}_a`);
    const b = registerAndLogin(`k6_${run}_${i}_b`);
    pairs.push({ chatId: directChat(a, b), members: [a, b] });
  }
  return { pairs };
}

export default function (data) {
  const pair = data.pairs[Math.floor((__VU - 1) / 2) % data.pairs.length];
  const me = pair.members[(__VU - 1) % 2];
  const pending = {};
  let counter = 0;
  let draining = false;

  const res = ws.connect(`${WS_URL}?token=${encodeURIComponent(me.token)}`, {}, (socket) => {
    socket.on('message', (raw) => {
      let frame;
      try {
        frame = JSON.parse(raw);
      } catch (err) {
        errorFrames.add(1, { code: 'bad_json', detail: String(err).slice(0, 60) });
        return;
      }
      if (frame.type === 'ready') {
        check(frame, { 'ready lists the chat': (f) => f.chat_ids.indexOf(pair.chatId) >= 0 });
        socket.setInterval(() => {
          if (draining) return;
          counter += 1;
          const requestId = `${__VU}-${__ITER}-${counter}`;
          const sentAt = Date.now();
          pending[requestId] = sentAt;
          // The receiver reads the send time from the text: `<ms>|<request id>|…`.
          socket.send(JSON.stringify({ type: 'message', chat_id: pair.chatId, text: `${sentAt}|${requestId}|k6`, request_id: requestId }));
        }, SEND_INTERVAL_MS);
      } else if (frame.type === 'message_sent') {
        const sentAt = pending[frame.request_id];
        const ok = sentAt !== undefined && frame.status === 'delivered' && frame.message.chat_id === pair.chatId;
        messageSent.add(ok);
        if (sentAt !== undefined) {
          ackMs.add(Date.now() - sentAt);
          delete pending[frame.request_id];
        }
      } else if (frame.type === 'new_message') {
        const sentAt = Number(String(frame.message.text).split('|')[0]);
        if (sentAt > 0) deliveryMs.add(Date.now() - sentAt);
      } else if (frame.type === 'error') {
        console.warn(`error frame: ${frame.code} ${frame.message}`);
        errorFrames.add(1, { code: frame.code });
        if (frame.request_id && pending[frame.request_id] !== undefined) {
          messageSent.add(false);
          delete pending[frame.request_id];
        }
      }
    });
    socket.on('error', (e) => {
      // Rare, and the summary does not show tags: say what it was.
      console.warn(`socket error: ${e.error()}`);
      errorFrames.add(1, { code: 'socket_error' });
    });
    socket.setTimeout(
      () => {
        draining = true;
      },
      Math.max(0, SESSION_S * 1000 - DRAIN_MS),
    );
    socket.setTimeout(() => {
      // Nothing was sent in the last DRAIN_MS: what is still not acked now really was not.
      Object.keys(pending).forEach(() => messageSent.add(false));
      socket.close();
    }, SESSION_S * 1000);
  });
  check(res, { 'websocket upgraded (101)': (r) => r && r.status === 101 });
}
