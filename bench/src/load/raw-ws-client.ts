/**
 * The load generator's WebSocket client: RFC 6455 over `node:net`, no extensions, `ws://`
 * only. It exists because the bench's two client processes spent about twice the gateway's
 * CPU reading 200,000 frames/s through `ws` (issue 15): here a frame costs one header read
 * and, when it lies whole in one chunk, no copy (`ws-frames.ts`). Events go to one handler
 * object per client instead of an EventEmitter.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import {
  CLOSE_CODE,
  DEFAULT_MAX_PAYLOAD,
  FrameParser,
  MaskKeys,
  OPCODE,
  closePayload,
  encodeClientFrame,
  type FrameRefusal,
  type FrameSink,
} from './ws-frames.js';

export const READY_STATE = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;
export type ReadyState = (typeof READY_STATE)[keyof typeof READY_STATE];

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** An HTTP answer whose head is longer than this is not a WebSocket server's. */
const MAX_RESPONSE_HEAD = 16 * 1024;

export interface RawWsHandlers {
  /** The upgrade was accepted (101, key and headers checked). */
  open?(): void;
  /**
   * A whole message: `buf[start, end)`. Valid during the call only (`buf` is often the read
   * buffer, which the next read overwrites): copy what is kept. Bounds rather than a view, so
   * that a frame costs no Buffer object (`buf.subarray(start, end)` makes one when wanted).
   */
  message(buf: Buffer, start: number, end: number, binary: boolean): void;
  /** The server answered the upgrade with another status; the socket is then destroyed. */
  unexpectedResponse?(status: number): void;
  /**
   * A socket error while connecting (with its errno `code`), a refused handshake (no code), a
   * handshake timeout (`open_timeout`) or a server frame refused (`ws_*`, see `FrameRefusal`).
   * `close` follows.
   */
  error?(err: Error & { code?: string }): void;
  /**
   * The connection is gone: the code of the server's close frame, else the code this client
   * closed with after refusing a frame, else 1006.
   */
  close?(code: number): void;
}

export interface RawWsOptions {
  /** Source address to bind (the bench spreads sockets over 127.0.0.x for ephemeral ports). */
  readonly localAddress?: string;
  readonly handshakeTimeoutMs?: number;
  /** Sent as `Sec-WebSocket-Protocol`; the server must pick one of them. */
  readonly protocols?: readonly string[];
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly maxPayload?: number;
}

/** Mask keys are shared by every client of the process (one random refill per 1,024 frames). */
const masks = new MaskKeys();
/**
 * Where every client of the process reads its socket: handlers run synchronously within the
 * read, so one buffer serves all; what must outlive a read (a frame cut by the chunk's end, a
 * fragment) is copied by the parser.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export class RawWsClient {
  private state: ReadyState = READY_STATE.connecting;
  private readonly socket: Socket;
  private readonly parser: FrameParser;
  private readonly key = randomBytes(16).toString('base64');
  private readonly protocols: readonly string[];
  private responseHead: Buffer | undefined = Buffer.alloc(0);
  private handshakeTimer: NodeJS.Timeout | undefined;
  private corked = false;
  private closeSent = false;
  private closeCode: number = CLOSE_CODE.abnormal;
  private errored = false;
  /** The subprotocol the server chose ('' when none was asked for). */
  protocol = '';

  constructor(
    url: string,
    private readonly handlers: RawWsHandlers,
    options: RawWsOptions = {},
  ) {
    const target = new URL(url);
    if (target.protocol !== 'ws:') throw new Error(`RawWsClient: only ws:// URLs, not ${target.protocol}`);
    this.protocols = options.protocols ?? [];
    const sink: FrameSink = {
      // Delivered while closing too: the server may send until it reads our close frame.
      message: (buf, start, end, binary) => handlers.message(buf, start, end, binary),
      ping: (payload) => this.onPing(payload),
      // Unsolicited pongs are allowed (RFC 6455 §5.5.3) and mean nothing here.
      pong: () => undefined,
      close: (code) => this.onServerClose(code),
      refuse: (reason, closeCode) => this.onRefuse(reason, closeCode),
    };
    this.parser = new FrameParser(sink, options.maxPayload ?? DEFAULT_MAX_PAYLOAD);
    const port = Number(target.port || 80);
    // URL keeps IPv6 hosts in brackets; net.connect wants them bare.
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    this.socket = connect({
      host,
      port,
      localAddress: options.localAddress,
      // Reads land in one buffer shared by every client of the process and reach the parser
      // straight from the read, without a Buffer allocated per read nor the stream's 'data' path.
      onread: { buffer: READ_BUFFER, callback: (nread: number, buf: Uint8Array) => this.read(buf as Buffer, nread) },
    });
    this.socket.setNoDelay(true);
    const request = [
      `GET ${target.pathname}${target.search} HTTP/1.1`,
      `Host: ${target.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${this.key}`,
      'Sec-WebSocket-Version: 13',
      ...(this.protocols.length > 0 ? [`Sec-WebSocket-Protocol: ${this.protocols.join(', ')}`] : []),
      ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
    this.socket.write(request);
    if (options.handshakeTimeoutMs !== undefined) {
      this.handshakeTimer = setTimeout(() => {
        this.fail(Object.assign(new Error('opening handshake timed out'), { code: 'open_timeout' }));
      }, options.handshakeTimeoutMs);
    }
    // A socket error before the upgrade is reported with its errno code; after it, only the
    // close (1006) that follows, as with `ws`, so the bench's error counts keep their meaning.
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.state === READY_STATE.connecting ? this.fail(err) : this.terminate()));
    this.socket.on('close', () => this.closed());
  }

  get readyState(): ReadyState {
    return this.state;
  }

  /** Bytes written but not yet handed to the kernel (what `ws` calls bufferedAmount). */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** Sends a text message; dropped unless open. Sends of one tick leave in one write. */
  send(text: string | Buffer, binary = false): boolean {
    if (this.state !== READY_STATE.open) return false;
    this.write(encodeClientFrame(binary ? OPCODE.binary : OPCODE.text, text, masks));
    return true;
  }

  /** Starts the closing handshake; the socket ends once the server answers (or `terminate`). */
  close(code: number = CLOSE_CODE.normal, reason = ''): void {
    if (this.state === READY_STATE.connecting) return this.terminate();
    if (this.state !== READY_STATE.open) return;
    this.state = READY_STATE.closing;
    this.sendClose(code, reason);
  }

  /** Drops the connection without a closing handshake. */
  terminate(): void {
    if (this.state === READY_STATE.closed) return;
    if (this.state !== READY_STATE.closing) this.state = READY_STATE.closing;
    this.socket.destroy();
  }

  /** A ping's payload is a view into the read chunk: the pong frame copies it. */
  private onPing(payload: Buffer): void {
    if (this.state === READY_STATE.open) this.write(encodeClientFrame(OPCODE.pong, payload, masks));
  }

  private onServerClose(code: number): void {
    this.closeCode = code;
    // Answer with the same code (RFC 6455 §5.5.1), then end: the server closes its side.
    if (!this.closeSent) this.sendClose(code, '');
    this.state = READY_STATE.closing;
    this.socket.end();
  }

  private onRefuse(reason: FrameRefusal, closeCode: number): void {
    this.closeCode = closeCode;
    this.reportError(Object.assign(new Error(`server frame refused: ${reason}`), { code: reason }));
    if (this.state === READY_STATE.open) this.sendClose(closeCode, reason);
    this.state = READY_STATE.closing;
    this.socket.end();
    // A server that does not close after our close frame is not waited for.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    this.write(encodeClientFrame(OPCODE.close, closePayload(code, reason), masks));
  }

  private write(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  /** Returns true: reading goes on (false would pause the socket). */
  private read(buf: Buffer, nread: number): boolean {
    if (this.responseHead) this.readResponse(buf.subarray(0, nread));
    else this.parser.push(buf, 0, nread);
    return true;
  }

  private readResponse(chunk: Buffer): void {
    const head = this.responseHead!.length === 0 ? chunk : Buffer.concat([this.responseHead!, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_RESPONSE_HEAD) return this.fail(new Error('upgrade response head too long'));
      this.responseHead = head === chunk ? Buffer.from(chunk) : head; // the read buffer is reused
      return;
    }
    this.responseHead = undefined;
    const lines = head.toString('latin1', 0, end).split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!status) return this.fail(new Error('upgrade response is not HTTP/1.1'));
    if (status[1] !== '101') {
      this.clearHandshakeTimer();
      this.handlers.unexpectedResponse?.(Number(status[1]));
      return this.terminate();
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const problem = this.checkUpgrade(headers);
    if (problem) return this.fail(new Error(problem));
    this.clearHandshakeTimer();
    this.state = READY_STATE.open;
    this.handlers.open?.();
    // Frames the server sent right behind its 101.
    if (head.length > end + 4 && this.state === READY_STATE.open) this.parser.push(head.subarray(end + 4));
  }

  private checkUpgrade(headers: Map<string, string>): string | undefined {
    const accept = createHash('sha1')
      .update(this.key + ACCEPT_GUID)
      .digest('base64');
    if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return 'upgrade response without Upgrade: websocket';
    if (!/(^|,)\s*upgrade\s*(,|$)/i.test(headers.get('connection') ?? '')) return 'upgrade response without Connection: Upgrade';
    if (headers.get('sec-websocket-accept') !== accept) return 'invalid Sec-WebSocket-Accept';
    if (headers.has('sec-websocket-extensions')) return 'server sent extensions that were not asked for';
    const protocol = headers.get('sec-websocket-protocol');
    if (protocol !== undefined && !this.protocols.includes(protocol)) return `server chose subprotocol ${protocol}, not asked for`;
    if (protocol === undefined && this.protocols.length > 0) return 'server chose no subprotocol';
    this.protocol = protocol ?? '';
    return undefined;
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private reportError(err: Error & { code?: string }): void {
    if (this.errored) return;
    this.errored = true;
    this.handlers.error?.(err);
  }

  private fail(err: Error & { code?: string }): void {
    this.clearHandshakeTimer();
    this.reportError(err);
    this.terminate();
  }

  private closed(): void {
    this.clearHandshakeTimer();
    if (this.state === READY_STATE.closed) return;
    this.state = READY_STATE.closed;
    this.handlers.close?.(this.closeCode);
  }
}
