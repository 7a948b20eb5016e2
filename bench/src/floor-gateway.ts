/**
 * The floor under the load scenarios: the least a WebSocket server must do for the bench's
 * clients, so a run against it shows what this machine, its loopback TCP and the load generator
 * cost before any gateway work (`--set gateway_impl=floor`, docs/BENCHMARKS.md, "The floor").
 *
 * It speaks just the frames the load generator reads: `ready` once a socket follows its chats,
 * and for each `message` frame a `message_sent` to the sender and a `new_message` to the chat's
 * other sockets, both through uWS (one topic per chat, as the gateway's fan-out). It checks the
 * token, but does not store anything, rate-limit, validate beyond `JSON.parse`, or cross NATS: **a measuring tool, never a server to run.** Its chats are read
 * from the bench's database once per socket.
 *
 * Environment: GATEWAY_PORT, GATEWAY_METRICS_PORT (`/readyz`), DATABASE_URL, JWT_SECRET.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { loadNativeUws } from '@neonchat/gateway';
import { verifyAccessToken } from '@neonchat/common/runtime';
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

/** The two frames a stored message makes, as the gateway writes them (`type` first). */
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
  return {
    sent: `{"type":"message_sent","request_id":${JSON.stringify(requestId)},"status":"delivered","message":${message}}`,
    delivered: `{"type":"new_message","message":${message}}`,
  };
}

async function main(): Promise<void> {
  const port = Number(process.env.GATEWAY_PORT);
  const opsPort = Number(process.env.GATEWAY_METRICS_PORT);
  const secret = process.env.JWT_SECRET ?? '';
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  const uws = loadNativeUws();
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
      let frame: { type?: unknown; chat_id?: unknown; text?: unknown; request_id?: unknown };
      try {
        frame = JSON.parse(decoder.decode(data)) as typeof frame;
      } catch {
        return void ws.send('{"type":"error","code":"invalid_frame","message":"not JSON"}', false);
      }
      const { chat_id: chatId, text, request_id: requestId } = frame;
      if (frame.type !== 'message' || typeof chatId !== 'string' || typeof text !== 'string' || typeof requestId !== 'string') return;
      if (!ws.isSubscribed(chatId)) return void ws.send('{"type":"error","code":"forbidden","message":"not a member"}', false);
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
