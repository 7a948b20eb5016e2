import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { us_listen_socket } from 'uWebSockets.js';
import { loadNativeUws } from '@neonchat/gateway';
import { RawWsClient, READY_STATE, type RawWsHandlers } from '../src/load/raw-ws-client.js';

// The build the gateway runs on here (v20.30 on Node 20 and glibc 2.36, v20.57 on Node 24):
// a bare require('uWebSockets.js') would get the v20.30 build's ws fallback on Node 24.
const { uws } = loadNativeUws();

interface Seen {
  opened: boolean;
  messages: Buffer[];
  errors: Array<string | undefined>;
  closed: Promise<number>;
  status?: number;
}

/** A client whose events are recorded; `waitMessages(n)` resolves once n messages came. */
function client(url: string, options: ConstructorParameters<typeof RawWsClient>[2] = {}) {
  const seen: Omit<Seen, 'closed'> = { opened: false, messages: [], errors: [] };
  let waiter: { n: number; resolve: () => void } | undefined;
  let onClose!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (onClose = resolve));
  let onOpen!: () => void;
  const opened = new Promise<void>((resolve) => (onOpen = resolve));
  const handlers: RawWsHandlers = {
    open: () => {
      seen.opened = true;
      onOpen();
    },
    message: (buf, start, end) => {
      seen.messages.push(Buffer.from(buf.subarray(start, end)));
      if (waiter && seen.messages.length >= waiter.n) waiter.resolve();
    },
    unexpectedResponse: (status) => (seen.status = status),
    error: (err) => seen.errors.push(err.code),
    close: (code) => onClose(code),
  };
  const ws = new RawWsClient(url, handlers, options);
  const waitMessages = (n: number) =>
    seen.messages.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve }));
  return { ws, seen, closed, opened, waitMessages };
}

describe('raw WebSocket client against uWebSockets.js (load generator)', () => {
  let listen: us_listen_socket | undefined;
  let port = 0;
  const pongs: string[] = [];
  const remoteAddresses: string[] = [];
  const protocolsAsked: string[] = [];

  before(async () => {
    const app = uws.App();
    app.ws<{ protocol: string }>('/*', {
      maxPayloadLength: 1024 * 1024,
      upgrade: (res, req, context) => {
        const query = new URLSearchParams(req.getQuery() ?? '');
        if (query.get('token') !== 'good') {
          res.writeStatus('401 Unauthorized').end('no');
          return;
        }
        const protocol = req.getHeader('sec-websocket-protocol');
        protocolsAsked.push(protocol);
        res.upgrade(
          { protocol },
          req.getHeader('sec-websocket-key'),
          protocol.split(',')[0]?.trim() ?? '',
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        remoteAddresses.push(Buffer.from(ws.getRemoteAddressAsText()).toString());
        ws.send('{"type":"ready"}', false);
      },
      message: (ws, message, isBinary) => {
        const text = Buffer.from(message).toString();
        if (text === 'ping me') ws.ping('are you there');
        else if (text.startsWith('close me ')) ws.end(Number(text.slice('close me '.length)), 'as asked');
        else if (text.startsWith('big ')) ws.send('y'.repeat(Number(text.slice(4))), false);
        else ws.send(message, isBinary);
      },
      pong: (_ws, message) => pongs.push(Buffer.from(message).toString()),
    });
    await new Promise<void>((resolve, reject) =>
      app.listen('127.0.0.1', 0, (token) => {
        if (!token) return reject(new Error('uWS did not listen'));
        listen = token;
        port = uws.us_socket_local_port(token);
        resolve();
      }),
    );
  });

  after(() => {
    if (listen) uws.us_listen_socket_close(listen);
  });

  const url = (token = 'good') => `ws://127.0.0.1:${port}/ws?token=${token}`;

  it('opens, reads the frame the server sends at open, and gets back what it sends (several sends in one tick, in order)', async () => {
    const c = client(url());
    await c.waitMessages(1);
    expect(c.seen.opened).to.equal(true);
    expect(c.ws.readyState).to.equal(READY_STATE.open);
    expect(c.seen.messages[0]!.toString()).to.equal('{"type":"ready"}');
    const sent = Array.from({ length: 50 }, (_, i) => JSON.stringify({ type: 'message', n: i, text: 'é✓'.repeat(i) }));
    for (const text of sent) expect(c.ws.send(text)).to.equal(true);
    await c.waitMessages(1 + sent.length);
    expect(c.seen.messages.slice(1).map((m) => m.toString())).to.deep.equal(sent);
    c.ws.close(1000, 'done');
    expect(await c.closed).to.equal(1000);
    expect(c.ws.readyState).to.equal(READY_STATE.closed);
    expect(c.seen.errors).to.deep.equal([]);
  });

  it('binds the source address it is given and offers the subprotocols it is given', async () => {
    const c = client(url(), { localAddress: '127.0.0.7', protocols: ['neonchat.v1', 'other'] });
    await c.waitMessages(1);
    expect(remoteAddresses.at(-1)).to.equal('127.0.0.7');
    expect(protocolsAsked.at(-1)).to.equal('neonchat.v1, other');
    expect(c.ws.protocol).to.equal('neonchat.v1');
    c.ws.terminate();
    expect(await c.closed).to.equal(1006);
  });

  it('answers a server ping with a pong carrying its payload', async () => {
    const c = client(url());
    await c.waitMessages(1);
    const before = pongs.length;
    c.ws.send('ping me');
    c.ws.send('after');
    await c.waitMessages(2);
    for (let i = 0; i < 50 && pongs.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(pongs.slice(before)).to.deep.equal(['are you there']);
    c.ws.close();
    await c.closed;
  });

  it('reports the code of a close the server starts, and answers it', async () => {
    const c = client(url());
    await c.waitMessages(1);
    c.ws.send('close me 4008');
    expect(await c.closed).to.equal(4008);
    expect(c.seen.errors).to.deep.equal([]);
    expect(c.ws.send('too late')).to.equal(false);
  });

  it('receives a 70 KB frame (64-bit length, read over several chunks) and sends one', async () => {
    const c = client(url());
    await c.waitMessages(1);
    c.ws.send('big 71680');
    await c.waitMessages(2);
    expect(c.seen.messages[1]!.length).to.equal(71680);
    expect(c.seen.messages[1]!.toString()).to.equal('y'.repeat(71680));
    const big = Buffer.from(Array.from({ length: 70000 }, (_, i) => i & 0xff));
    c.ws.send(big, true);
    await c.waitMessages(3);
    expect(c.seen.messages[2]!.equals(big)).to.equal(true);
    c.ws.close();
    await c.closed;
  });

  it('reports a refused upgrade by its HTTP status, then closes', async () => {
    const c = client(url('bad'));
    expect(await c.closed).to.equal(1006);
    expect(c.seen.status).to.equal(401);
    expect(c.seen.opened).to.equal(false);
  });

  it('reports a refused connection by its errno code', async () => {
    const c = client(`ws://127.0.0.1:1/ws`);
    expect(await c.closed).to.equal(1006);
    expect(c.seen.errors).to.deep.equal(['ECONNREFUSED']);
  });
});

describe('raw WebSocket client against a hand-made server (load generator)', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let port = 0;
  let behave: (socket: Socket, request: string) => void = () => undefined;
  const accept = (key: string) =>
    createHash('sha1')
      .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');

  before(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        behave(socket, head);
      };
      socket.on('data', onData);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  after(() => {
    // A failed test may leave its client connected; the server closes only once all are gone.
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const keyOf = (request: string) => /sec-websocket-key: (\S+)/i.exec(request)![1]!;
  const upgrade = (socket: Socket, request: string, acceptValue = accept(keyOf(request)), extra: Buffer = Buffer.alloc(0)) =>
    socket.write(
      Buffer.concat([
        Buffer.from(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptValue}\r\n\r\n`,
        ),
        extra,
      ]),
    );

  it('sends the upgrade request with the URL, version 13 and a fresh 16-byte key', async () => {
    const requests: string[] = [];
    behave = (socket, request) => {
      requests.push(request);
      upgrade(socket, request);
      socket.end();
    };
    const a = client(`ws://127.0.0.1:${port}/ws?token=abc.def`);
    const b = client(`ws://127.0.0.1:${port}/ws?token=abc.def`);
    await Promise.all([a.closed, b.closed]);
    expect(requests).to.have.length(2);
    for (const request of requests) {
      expect(request.startsWith('GET /ws?token=abc.def HTTP/1.1\r\n')).to.equal(true);
      expect(request).to.match(/\r\nSec-WebSocket-Version: 13\r\n/);
      expect(request).to.match(/\r\nUpgrade: websocket\r\n/);
      expect(Buffer.from(keyOf(request), 'base64').length).to.equal(16);
    }
    expect(keyOf(requests[0]!)).not.to.equal(keyOf(requests[1]!));
  });

  it('refuses a 101 with the wrong Sec-WebSocket-Accept (no open, an error, then close)', async () => {
    behave = (socket, request) => upgrade(socket, request, accept('not the key'));
    const c = client(`ws://127.0.0.1:${port}/ws`);
    expect(await c.closed).to.equal(1006);
    expect(c.seen.opened).to.equal(false);
    expect(c.seen.errors).to.deep.equal([undefined]);
  });

  it('reads frames that came in the same packet as the 101', async () => {
    behave = (socket, request) => upgrade(socket, request, undefined, Buffer.from([0x81, 2, 0x68, 0x69, 0x81, 1, 0x21]));
    const c = client(`ws://127.0.0.1:${port}/ws`);
    await c.waitMessages(2);
    expect(c.seen.messages.map((m) => m.toString())).to.deep.equal(['hi', '!']);
    c.ws.terminate();
    await c.closed;
  });

  it('reads a 101 whose head comes in several packets', async () => {
    behave = (socket, request) => {
      const head = Buffer.from(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(keyOf(request))}\r\n\r\n`,
      );
      const whole = Buffer.concat([head, Buffer.from([0x81, 2, 0x6f, 0x6b])]);
      let at = 0;
      const next = () => {
        if (at >= whole.length) return;
        socket.write(whole.subarray(at, at + 7));
        at += 7;
        setTimeout(next, 2);
      };
      next();
    };
    const c = client(`ws://127.0.0.1:${port}/ws`);
    await c.waitMessages(1);
    expect(c.seen.messages.map((m) => m.toString())).to.deep.equal(['ok']);
    c.ws.terminate();
    await c.closed;
  });

  it('answers a masked server frame with close 1002 and reports ws_masked_frame', async () => {
    const received: Buffer[] = [];
    behave = (socket, request) => {
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      upgrade(socket, request, undefined, Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x69, 0x6b]));
    };
    const c = client(`ws://127.0.0.1:${port}/ws`);
    expect(await c.closed).to.equal(1002);
    expect(c.seen.errors).to.deep.equal(['ws_masked_frame']);
    expect(c.seen.messages).to.deep.equal([]);
    const frame = Buffer.concat(received);
    expect(frame[0]).to.equal(0x88); // FIN + close
    expect(frame[1]! & 0x80).to.equal(0x80); // masked
    const code = ((frame[6]! ^ frame[2]!) << 8) | (frame[7]! ^ frame[3]!);
    expect(code).to.equal(1002);
  });

  it('reports a connection reset after the upgrade only by its close (1006), as ws did', async () => {
    behave = (socket, request) => {
      upgrade(socket, request, undefined, Buffer.from([0x81, 0]));
      setTimeout(() => socket.resetAndDestroy(), 20);
    };
    const c = client(`ws://127.0.0.1:${port}/ws`);
    await c.waitMessages(1);
    expect(await c.closed).to.equal(1006);
    expect(c.seen.errors).to.deep.equal([]);
  });

  it('times the handshake out when no answer comes', async () => {
    behave = () => undefined;
    const c = client(`ws://127.0.0.1:${port}/ws`, { handshakeTimeoutMs: 100 });
    expect(await c.closed).to.equal(1006);
    expect(c.seen.errors).to.deep.equal(['open_timeout']);
  });

  it('sends the frames of one tick in one write', async () => {
    const chunks: Buffer[] = [];
    let ready!: () => void;
    const upgraded = new Promise<void>((resolve) => (ready = resolve));
    behave = (socket, request) => {
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      upgrade(socket, request, undefined, Buffer.from([0x81, 0]));
      ready();
    };
    const c = client(`ws://127.0.0.1:${port}/ws`);
    await upgraded;
    await c.waitMessages(1);
    for (let i = 0; i < 20; i++) c.ws.send(`message ${i}`);
    expect(c.ws.bufferedAmount, 'held until the tick ends').to.be.greaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(chunks.length).to.equal(1);
    expect(Buffer.concat(chunks).length).to.equal(20 * (2 + 4) + 20 * 9 + 10);
    c.ws.terminate();
    await c.closed;
  });
});
