import { NeonError, SUBJECTS, decodeChatEvent, type ChatEvent } from '@neonchat/common/contracts';
import type {
  BusSubscription,
  ChatBus,
  ChatEventStore,
  LiveHandler,
  StoredEventAck,
  StoredRecordHandler,
  StreamRange,
  StreamRangeResult,
} from './chat-bus.js';

interface StoredRecord {
  readonly seq: number;
  readonly chatId: string;
  readonly data: Uint8Array;
  readonly storedAt: number;
}

const encoder = new TextEncoder();

/** Does a NATS subject match a subscription's (`*` one token, `>` the rest)? */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i += 1) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/**
 * The bus in one process, for unit tests with no server: one stream of every chat's events
 * (one sequence across chats, dedup ids kept forever), republished at once to the chat's live
 * handlers with the chat's previous sequence, as the NATS stream does. Delivery is synchronous;
 * `failNext` makes the next stream operation fail as an unreachable stream does.
 */
export class MemoryChatBus implements ChatBus {
  /** Live subscriptions by subject (`live.{chat}.*`), counted: tests read how many the gateway holds. */
  readonly subscriptions = new Map<string, number>();
  readonly events: ChatEventStore;
  private readonly records: StoredRecord[] = [];
  private readonly dedup = new Map<string, number>();
  private readonly lastOfChat = new Map<string, number>();
  private readonly live = new Map<string, Set<LiveHandler>>();
  private readonly core: Array<{ subject: string; onData: (data: Uint8Array) => void }> = [];
  private readonly reconnectListeners: Array<() => void> = [];
  private closed = false;
  private failing = false;

  constructor() {
    this.events = {
      publish: (event, dedupId, origin, json) => this.store(event, dedupId, origin, json),
      stored: async (seq) => {
        const record = this.records.find((r) => r.seq === seq);
        return record ? decodeChatEvent(record.data) : undefined;
      },
      inFlight: 0,
      oldestInFlightAt: () => undefined,
    };
  }

  get usable(): boolean {
    return !this.closed;
  }

  /** The next stream operation (publish or read) fails with `unavailable`. */
  failNext(): void {
    this.failing = true;
  }

  /** Stores raw bytes as a chat's event (what another writer could put there), republished like any other. */
  storeRaw(chatId: string, data: Uint8Array | string, origin?: string): number {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    const seq = this.records.length + 1;
    this.records.push({ seq, chatId, data: bytes, storedAt: Date.now() });
    const last = this.lastOfChat.get(chatId);
    this.lastOfChat.set(chatId, seq);
    for (const handler of this.live.get(chatId) ?? []) handler.event(seq, last ?? 0, bytes, origin);
    return seq;
  }

  subscribeLive(chatId: string, handler: LiveHandler): BusSubscription {
    const subject = SUBJECTS.liveChat(chatId);
    this.subscriptions.set(subject, (this.subscriptions.get(subject) ?? 0) + 1);
    let handlers = this.live.get(chatId);
    if (!handlers) this.live.set(chatId, (handlers = new Set()));
    handlers.add(handler);
    let active = true;
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        handlers.delete(handler);
        if (!handlers.size) this.live.delete(chatId);
        const n = (this.subscriptions.get(subject) ?? 0) - 1;
        if (n > 0) this.subscriptions.set(subject, n);
        else this.subscriptions.delete(subject);
      },
    };
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  async readRange(chatId: string, range: StreamRange, onRecord: StoredRecordHandler): Promise<StreamRangeResult> {
    this.checkStream();
    const from = range.fromSeq ?? 1;
    const since = range.fromTime?.getTime();
    const end = this.records.length;
    const selected = this.records
      .slice(0, end)
      .filter((r) => r.chatId === chatId && (since !== undefined ? r.storedAt >= since : r.seq >= from));
    if (range.maxEvents !== undefined && selected.length > range.maxEvents) return { tooFar: true, pending: selected.length };
    let lastSeq = 0;
    for (const r of selected) {
      await onRecord(r.seq, r.data);
      lastSeq = r.seq;
    }
    return { tooFar: false, count: selected.length, lastSeq };
  }

  publishTyping(chatId: string, json: string, origin: string): void {
    if (this.closed) return;
    const data = encoder.encode(json);
    for (const handler of this.live.get(chatId) ?? []) handler.typing(data, origin);
  }

  publish(subject: string, json: string): void {
    if (this.closed) return;
    const data = encoder.encode(json);
    for (const sub of this.core) if (subjectMatches(sub.subject, subject)) sub.onData(data);
  }

  subscribe(subject: string, onData: (data: Uint8Array) => void): BusSubscription {
    const entry = { subject, onData };
    this.core.push(entry);
    return {
      unsubscribe: () => {
        const at = this.core.indexOf(entry);
        if (at >= 0) this.core.splice(at, 1);
      },
    };
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** As after a NATS reconnect: the listeners are told. */
  reconnected(): void {
    for (const listener of this.reconnectListeners) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async store(event: ChatEvent, dedupId?: string, origin?: string, json?: string): Promise<StoredEventAck> {
    this.checkStream();
    const first = dedupId === undefined ? undefined : this.dedup.get(dedupId);
    if (first !== undefined) return { seq: first, duplicate: true };
    const seq = this.storeRaw(event.chat_id, json ?? JSON.stringify(event), origin);
    if (dedupId !== undefined) this.dedup.set(dedupId, seq);
    return { seq, duplicate: false };
  }

  private checkStream(): void {
    if (this.closed) throw new NeonError('unavailable', 'the bus is closed');
    if (!this.failing) return;
    this.failing = false;
    throw new NeonError('unavailable', 'the message stream is not reachable, retry shortly');
  }
}
