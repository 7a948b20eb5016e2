/**
 * Stand-ins for uWS sockets, the uWS app and the bus (the in-memory one), for unit tests of the
 * gateway's parts with no server. They record what the parts did; nothing is mocked beyond
 * the I/O edge.
 */
import { Registry } from 'prom-client';
import { createLogger, type ChatType } from '@neonchat/common';
import { newSocketState, type SocketState } from '../../src/socket-state.js';
import type { Socket } from '../../src/socket-registry.js';
import { createGatewayMetrics } from '../../src/metrics.js';
import type { TopicFanOut } from '../../src/chat-hub.js';
import type { ChatBus } from '../../src/bus/chat-bus.js';
import { MemoryChatBus } from '../../src/bus/memory-chat-bus.js';

export class FakeSocket {
  readonly topics = new Set<string>();
  readonly sent: Array<Record<string, unknown>> = [];
  ended: { code: number; reason: string } | undefined;
  constructor(
    private readonly state: SocketState,
    private readonly app: FakeApp,
  ) {
    app.sockets.add(this);
  }
  getUserData(): SocketState {
    return this.state;
  }
  subscribe(topic: string): boolean {
    this.topics.add(topic);
    return true;
  }
  unsubscribe(topic: string): boolean {
    return this.topics.delete(topic);
  }
  isSubscribed(topic: string): boolean {
    return this.topics.has(topic);
  }
  /** A publish from this socket reaches every subscriber but itself (uWS semantics). */
  publish(topic: string, data: string | Uint8Array): boolean {
    this.app.deliver(topic, data, this);
    return true;
  }
  send(data: string | Uint8Array): number {
    this.sent.push(JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data)) as Record<string, unknown>);
    return 1;
  }
  cork(fn: () => void): this {
    fn();
    return this;
  }
  getBufferedAmount(): number {
    return 0;
  }
  end(code: number, reason: string): void {
    this.ended = { code, reason };
  }
  get socket(): Socket {
    return this as unknown as Socket;
  }
  types(): string[] {
    return this.sent.map((f) => String(f.type));
  }
}

export class FakeApp implements TopicFanOut {
  readonly sockets = new Set<FakeSocket>();
  publish(topic: string, data: string | ArrayBuffer | Uint8Array): boolean {
    this.deliver(topic, data instanceof ArrayBuffer ? new Uint8Array(data) : data, undefined);
    return true;
  }
  numSubscribers(topic: string): number {
    return [...this.sockets].filter((s) => s.topics.has(topic)).length;
  }
  deliver(topic: string, data: string | Uint8Array, except: FakeSocket | undefined): void {
    for (const s of this.sockets) if (s !== except && s.topics.has(topic)) s.send(data);
  }
}

/** The in-memory bus, with live subscriptions counted by subject; `flush` answers at once unless held. */
export class FakeNats extends MemoryChatBus {
  flushes: Array<() => void> | undefined;
  override flush(): Promise<void> {
    if (!this.flushes) return Promise.resolve();
    return new Promise((resolve) => this.flushes!.push(resolve));
  }
  get connection(): ChatBus {
    return this;
  }
}

export const silentLogger = createLogger('test', 'silent');
export const testMetrics = () => createGatewayMetrics(new Registry());

let connections = 0;
export function socketState(userId: string, chats: Array<[string, ChatType]> = [], extra: Partial<SocketState> = {}): SocketState {
  connections += 1;
  const state = newSocketState({
    userId,
    username: userId,
    connectionId: `gw-test:${connections}`,
    tokenExp: Math.floor(Date.now() / 1000) + 3600,
    chats: new Map(chats.map(([id, type]) => [id, { type, role: 'member' as const }])),
    openChatId: undefined,
    ratePerSecond: 100,
    rateBurst: 100,
  });
  return { ...state, ...extra };
}

/** An upgrade request as uWS hands it to the handler: headers (lower-case names) and the query. */
export class FakeUpgradeRequest {
  constructor(
    private readonly query: string,
    private readonly headers: Record<string, string> = {},
  ) {}
  getQuery(): string {
    return this.query;
  }
  getHeader(name: string): string {
    return (
      this.headers[name] ??
      {
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-extensions': '',
        'sec-websocket-protocol': '',
      }[name] ??
      ''
    );
  }
}

/** uWS's HttpResponse of an upgrade: records the answer (status and body) or the upgrade, and whether it was corked. */
export class FakeUpgradeResponse {
  status: string | undefined;
  body: string | undefined;
  upgraded: { state: SocketState; protocol: string; corked: boolean } | undefined;
  private corked = false;
  private abortHandler: (() => void) | undefined;
  onAborted(handler: () => void): this {
    this.abortHandler = handler;
    return this;
  }
  /** The client went away before the answer (uWS calls the handler; the response must not be used after). */
  abort(): void {
    this.abortHandler?.();
  }
  cork(fn: () => void): this {
    this.corked = true;
    fn();
    this.corked = false;
    return this;
  }
  writeStatus(status: string): this {
    this.status = status;
    return this;
  }
  writeHeader(): this {
    return this;
  }
  end(body: string): this {
    this.body = body;
    return this;
  }
  upgrade(state: SocketState, _key: string, protocol: string): void {
    this.upgraded = { state, protocol, corked: this.corked };
  }
  get answered(): boolean {
    return this.upgraded !== undefined || this.status !== undefined;
  }
}
