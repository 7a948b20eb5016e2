import type { ChatEvent } from '@neonchat/common/contracts';

/**
 * What the gateway needs of its message bus, and nothing more: the only way ChatHub, LiveFeed,
 * CatchUp, the presence reporter and the bus subscriptions reach NATS. `nats-chat-bus.ts` is the
 * real one (the only gateway module that imports `@nats-io/*` besides `gateway.ts`'s type of
 * `Gateway.nats`); `memory-chat-bus.ts` keeps the same rules in memory for unit tests. Both pass
 * one contract suite (`gateway/test/bus/chat-bus-contract.ts`).
 */
export interface ChatBus {
  /** Chat events into the stream, each resolved once the stream acked it (deduplicated by id). */
  readonly events: ChatEventStore;
  /**
   * The chat's stored events as the stream republishes them (in stream order, with their
   * sequence and the chat's previous one), and its typing frames. One subscription per call.
   */
  subscribeLive(chatId: string, handler: LiveHandler): BusSubscription;
  /** Resolves once the bus has every subscription made so far. */
  flush(): Promise<void>;
  /**
   * The chat's stored events from a position to the end of the stream as of the call, in
   * order, as stored (undecoded). `onRecord` may return a promise to pause the read.
   * Throws `NeonError('unavailable')` when the stream cannot be read.
   */
  readRange(chatId: string, range: StreamRange, onRecord: StoredRecordHandler): Promise<StreamRangeResult>;
  /** A typing frame to the chat's live subject (never stored); `origin` is the typist's connection. */
  publishTyping(chatId: string, json: string, origin: string): void;
  /** A fire-and-forget message on a core subject (presence reports). Dropped while closing. */
  publish(subject: string, json: string): void;
  /** Core messages on a subject (wildcards as in NATS: `*` one token, `>` the rest). */
  subscribe(subject: string, onData: (data: Uint8Array) => void): BusSubscription;
  /** Called after each reconnect: core messages may have been lost meanwhile. */
  onReconnect(listener: () => void): void;
  /** Connected and not shutting down. */
  readonly usable: boolean;
  /** Finishes what is in flight, then closes. */
  close(): Promise<void>;
}

/** Where the gateway's writes go: the stream, which acks each event once it is durable. */
export interface ChatEventStore {
  /**
   * `dedupId`: a resend with the same id is stored once (its ack says `duplicate`, with the
   * first copy's seq). `originConnection` rides along so fan-out can leave that socket out.
   * `json` is `JSON.stringify(event)` if the caller has it. Rejects with `NeonError('unavailable')`.
   */
  publish(event: ChatEvent, dedupId?: string, originConnection?: string, json?: string): Promise<StoredEventAck>;
  /** The event stored at `seq`, or undefined if it is gone or not a chat event. */
  stored(seq: number): Promise<ChatEvent | undefined>;
  /** Publishes waiting for their ack. */
  readonly inFlight: number;
  /** When the oldest publish waiting for its ack was made (performance.now() ms), undefined if none. */
  oldestInFlightAt(): number | undefined;
}

export interface StoredEventAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

/**
 * A chat's live traffic. Called synchronously from the bus's dispatch: this is every
 * message's fan-out path, so it takes plain arguments (no object made per message).
 */
export interface LiveHandler {
  /** `seq` is NaN when the bus could not tell it; `lastSeq` is the chat's previous sequence, if told. */
  event(seq: number, lastSeq: number | undefined, data: Uint8Array, origin: string | undefined): void;
  typing(data: Uint8Array, origin: string | undefined): void;
}

export interface BusSubscription {
  unsubscribe(): void;
}

export interface StreamRange {
  /** First stream sequence to read (inclusive). */
  readonly fromSeq?: number;
  /** Or: the first event stored at or after this instant. */
  readonly fromTime?: Date;
  /** Refuse (without reading) when more events than this wait after the start. */
  readonly maxEvents?: number;
}

export type StreamRangeResult =
  { readonly tooFar: true; readonly pending: number } | { readonly tooFar: false; readonly count: number; readonly lastSeq: number };

export type StoredRecordHandler = (seq: number, data: Uint8Array) => void | Promise<void>;
