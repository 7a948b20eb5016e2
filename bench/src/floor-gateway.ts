/**
 * The floor under the load scenarios: the least a WebSocket server must do for the bench's
 * clients, so a run against it shows what this machine, its loopback TCP and the load generator
 * cost before any gateway work (`--set gateway_impl=floor`, docs/BENCHMARKS.md, "The floor").
 *
 * It speaks just the frames the load generator reads: `ready` once a socket follows its chats,
 * and for each `message` frame a `message_sent` to the sender and a `new_message` to the chat's
 * other sockets: through uWS here (one topic per chat, as the gateway's fan-out) and over core
 * NATS (`floor.<chat>.<pid>`) to the other floor processes. It checks the token and refuses
 * what it does not relay with the contract's `error` frame, but stores nothing, uses no
 * JetStream and has no rate limits or overload guard: **a measuring tool, never a server to
 * run.** Its chats are read from the bench's database once per socket.
 *
 * Environment: GATEWAY_PORT, GATEWAY_METRICS_PORT (`/readyz`), DATABASE_URL, NATS_URL, JWT_SECRET.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { loadNativeUws } from '@neonchat/gateway';
import { verifyAccessToken } from '@neonchat/common/runtime';
import { messageSentFrameJson, newMessageFrameJson, type ErrorFrame } from '@neonchat/common/contracts';
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import type { Subscription } from '@nats-io/nats-core';

interface SocketData {
  readonly userId: string;
  readonly chats: readonly string[];
  open: boolean;
}

/** The user of a token signed with `secret`, or undefined (expired, forged, not a token). */
export function tokenUser(token: string, secret: string): string | undefined {
  try {
    return verifyAccessToken(token, secret).user_id;
  } catch {
    return undefined;
  }
}

/** The two frames a stored message makes, as the gateway writes them (common's frame builders). */
export function messageFrames(
  chatId: string,
  senderId: string,
  text: string,
  requestId: string,
  seq: number,
  now: Date,
): { sent: string; delivered: string } {
  const message =
    `{"id":"${randomUUID()}","chat_id":${JSON.stringify(chatId)},"sender_id":"${senderId}",` +
    `"text":${JSON.stringify(text)},"created_at":"${now.toISOString()}","seq":${seq},"updated_at":null}`;
  return { sent: messageSentFrameJson(requestId, message), delivered: newMessageFrameJson(message) };
}

/** A `message` frame the floor relays, or the contract's `error` frame that refuses it. */
export function readMessageFrame(
  raw: string,
  follows: (chatId: string) => boolean,
): { chatId: string; text: string; requestId: string } | ErrorFrame {
  let frame: unknown;
  try {
    frame = JSON.parse(raw);
  } catch {
    return { type: 'error', code: 'validation_failed', message: 'not JSON' };
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return { type: 'error', code: 'validation_failed', message: 'a frame is a JSON object' };
  }
  const { type, chat_id: chatId, text, request_id: requestId } = frame as Record<string, unknown>;
  if (type !== 'message') return { type: 'error', code: 'unknown_type', message: 'the floor relays message frames only' };
  if (typeof chatId !== 'string' || typeof text !== 'string' || typeof requestId !== 'string') {
    return { type: 'error', code: 'validation_failed', message: 'chat_id, text and request_id are strings' };
  }
  // Not canonicalised: a chat id in upper case is not one the socket follows (the gateway's is).
  if (!follows(chatId)) return { type: 'error', code: 'forbidden', message: 'not a member', request_id: requestId };
  return { chatId, text, requestId };
}

async function main(): Promise<void> {
  const port = Number(process.env.GATEWAY_PORT);
  const opsPort = Number(process.env.GATEWAY_METRICS_PORT);
  const secret = process.env.JWT_SECRET ?? '';
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  const { uws } = loadNativeUws();
  const seqs = new Map<string, number>();
  const decoder = new TextDecoder();
  const nc = await connect({ servers: process.env.NATS_URL ?? '' });
  const self = String(process.pid);
  /** Core NATS subscriptions of the chats followed here, with their socket counts. */
  const followed = new Map<string, { sub: Subscription; sockets: number }>();
  const follow = (chatId: string) => {
    const entry = followed.get(chatId);
    if (entry) return void (entry.sockets += 1);
    const sub = nc.subscribe(`floor.${chatId}.*`, {
      callback: (_err, msg) => {
        if (msg.subject.endsWith(`.${self}`)) return; // sent from here: already fanned out
        app.publish(chatId, msg.data, false);
      },
    });
    followed.set(chatId, { sub, sockets: 1 });
  };
  const unfollow = (chatId: string) => {
    const entry = followed.get(chatId);
    if (!entry || --entry.sockets > 0) return;
    entry.sub.unsubscribe();
    followed.delete(chatId);
  };

  const app = uws.App().ws<SocketData>('/ws', {
    maxPayloadLength: 16 * 1024,
    idleTimeout: 120,
    upgrade: (res, req, context) => {
      const userId = tokenUser(new URLSearchParams(req.getQuery() ?? '').get('token') ?? '', secret);
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      let aborted = false;
      res.onAborted(() => (aborted = true));
      if (!userId) return void res.cork(() => res.writeStatus('401 Unauthorized').end());
      pool
        .query<{ chat_id: string }>('select chat_id from chat_members where user_id = $1', [userId])
        .then(({ rows }) => {
          if (aborted) return;
          res.cork(() =>
            res.upgrade<SocketData>({ userId, chats: rows.map((r) => r.chat_id), open: true }, key, protocol, extensions, context),
          );
        })
        .catch(() => !aborted && res.cork(() => res.writeStatus('503 Service Unavailable').end()));
    },
    open: (ws) => {
      for (const chat of ws.getUserData().chats) {
        ws.subscribe(chat);
        follow(chat);
      }
      // As the gateway: `ready` once NATS has the subscriptions, so no event after it is missed.
      void nc.flush().then(() => ws.getUserData().open && ws.send('{"type":"ready"}', false));
    },
    close: (ws) => {
      ws.getUserData().open = false;
      for (const chat of ws.getUserData().chats) unfollow(chat);
    },
    message: (ws, data) => {
      const read = readMessageFrame(decoder.decode(data), (chatId) => ws.isSubscribed(chatId));
      if ('code' in read) return void ws.send(JSON.stringify(read), false);
      const { chatId, text, requestId } = read;
      const seq = (seqs.get(chatId) ?? 0) + 1;
      seqs.set(chatId, seq);
      const frames = messageFrames(chatId, ws.getUserData().userId, text, requestId, seq, new Date());
      ws.send(frames.sent, false);
      ws.publish(chatId, frames.delivered, false); // every follower of the chat here but this socket
      nc.publish(`floor.${chatId}.${self}`, frames.delivered); // and on the other floor processes
    },
  });
  let listening: unknown;
  app.listen('127.0.0.1', port, (token) => {
    listening = token;
    if (!token) {
      console.error(`floor gateway: cannot listen on ${port}`);
      process.exit(1);
    }
  });
  const ops = createServer((req, res) => res.writeHead(req.url === '/readyz' || req.url === '/healthz' ? 200 : 404).end());
  ops.listen(opsPort, '127.0.0.1');
  const stop = () => {
    if (listening) uws.us_listen_socket_close(listening as Parameters<typeof uws.us_listen_socket_close>[0]);
    ops.close();
    void Promise.allSettled([pool.end(), nc.close()]).finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error('floor gateway:', err);
    process.exit(1);
  });
}
