import {
  TypingEventFrame,
  CREATED_EVENT_PREFIX,
  compileValidator,
  createdMessageJson,
  newMessageFrameJson,
  decodeChatEvent,
  decodeJson,
  frameForChatEvent,
  type ChatEvent,
  type GapFrame,
  type ServerFrame,
} from '@neonchat/common/contracts';
import { type Logger } from '@neonchat/common/runtime';
import type { BusSubscription, ChatBus, LiveHandler } from './bus/chat-bus.js';
import { logUndecodable } from './stream-reader.js';

/** The frame types a stored event goes out as (a misspelt kind does not compile). */
export type LiveFrameType = ServerFrame['type'];

/** One stored event ready to go out: serialized once for every socket of the chat. */
export interface LiveEvent {
  readonly chatId: string;
  readonly seq: number;
  readonly type: LiveFrameType;
  readonly data: string;
  readonly origin: string | undefined;
}

export interface LiveFeedSink {
  /** A stored event, in stream order per chat, exactly once per chat per gateway. */
  event(event: LiveEvent): void;
  /** An ephemeral typing frame (already validated), as received. */
  typing(chatId: string, data: Uint8Array, origin: string | undefined): void;
  /**
   * Whether a stored event of the chat goes to any socket here: false when none follows the
   * chat live or catches up on it, besides the origin socket of a new message.
   */
  wanted(chatId: string, origin: string | undefined, newMessage: boolean): boolean;
  /** An event that could not be used (`malformed`: not decodable here; a gap frame went out for it if its seq was known). */
  dropped(chatId: string, reason: 'malformed' | 'duplicate' | 'gap_unrepaired'): void;
  /** Events missed on core NATS were fetched from the stream. */
  repaired(chatId: string, count: number): void;
}

/**
 * Reads the chat's stored events after `afterSeq` from the stream, in order; `event` undefined
 * for one that cannot be decoded here (already logged and counted by the reader).
 */
export type GapReader = (chatId: string, afterSeq: number, onEvent: (seq: number, event: ChatEvent | undefined) => void) => Promise<void>;

/** An event as it goes out: its frame type and the frame's JSON, made once per gateway. */
interface Rendered {
  readonly type: LiveFrameType;
  readonly data: string;
}

interface ChatEntry {
  readonly sub: BusSubscription;
  refs: number;
  /** The last stream sequence delivered for this chat; undefined until the first event. */
  lastSeq: number | undefined;
  /** The first sequence delivered since the subscription was made. */
  firstSeq: number | undefined;
  /** While a gap is being repaired from the stream, live events wait here in order. */
  held: Array<{ seq: number; lastSeqHeader: number | undefined; frame: Rendered; origin: string | undefined }> | undefined;
}

const typingValidator = compileValidator(TypingEventFrame);
const decoder = new TextDecoder();
const CREATED_PREFIX_BYTES = Buffer.from(CREATED_EVENT_PREFIX);

/** Does the stored event start as our publishers write a `message.created`? (The bytes, unparsed.) */
function isCreated(data: Uint8Array): boolean {
  return (
    data.byteLength > CREATED_PREFIX_BYTES.byteLength &&
    Buffer.from(data.buffer, data.byteOffset, CREATED_PREFIX_BYTES.byteLength).equals(CREATED_PREFIX_BYTES)
  );
}

/** The frame of a stored event, from the event's object (the repair path and anything but a new message). */
function renderEvent(event: ChatEvent, seq: number): Rendered {
  const frame = frameForChatEvent(event, seq);
  return { type: frame.type, data: JSON.stringify(frame) };
}

/**
 * What goes out in place of a stored event this gateway cannot decode: skipped with a visible
 * marker, in stream order (see `stream-reader.ts` for why skip rather than stop).
 */
export function renderGap(chatId: string, seq: number): Rendered {
  const frame: GapFrame = { type: 'gap', chat_id: chatId, seq, reason: 'unsupported_event' };
  return { type: frame.type, data: JSON.stringify(frame) };
}

/**
 * The `new_message` frame of a stored `message.created`, spliced from the stored bytes
 * (`createdMessageJson`), or undefined if they are not in the shape our publishers write (then
 * the caller parses and validates). Safe without a parse: the stream only takes events from the
 * gateways and the api, which validated them and wrote them with `JSON.stringify`.
 */
export function renderCreatedFromBytes(json: string, chatId: string, seq: number): Rendered | undefined {
  const message = createdMessageJson(json, chatId, seq);
  return message === undefined ? undefined : { type: 'new_message', data: newMessageFrameJson(message) };
}

/**
 * The gateway's live view of its chats: one core NATS subscription `live.{chatId}.*` per chat
 * per gateway, reference-counted over the sockets that follow the chat (never one per socket,
 * never a JetStream consumer per chat). Stored events arrive republished by the stream in stream
 * order with `Nats-Sequence` and `Nats-Last-Sequence` (the chat's previous sequence): a jump in
 * the latter means core NATS lost something (a reconnect, a slow-consumer cut), and the hole is
 * read back from the stream before anything later goes out, so sockets see each chat in order.
 */
export class LiveFeed {
  private readonly chats = new Map<string, ChatEntry>();

  constructor(
    private readonly bus: Pick<ChatBus, 'subscribeLive' | 'flush'>,
    private readonly sink: LiveFeedSink,
    private readonly readGap: GapReader,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.chats.size;
  }

  has(chatId: string): boolean {
    return this.chats.has(chatId);
  }

  /** The last sequence this gateway delivered for the chat, if it has seen one. */
  lastSeq(chatId: string): number | undefined {
    return this.chats.get(chatId)?.lastSeq;
  }

  /**
   * A mark for "delivered live from now on": every event the chat's topic gets after this call
   * has a sequence above what `deliveredSince` returns for the mark.
   */
  liveMark(chatId: string): number | null {
    return this.chats.get(chatId)?.lastSeq ?? null;
  }

  /** The sequence after which every event up to `lastSeq` was delivered, for a mark. */
  deliveredSince(chatId: string, mark: number | null): number | undefined {
    if (mark !== null) return mark;
    const first = this.chats.get(chatId)?.firstSeq;
    return first === undefined ? undefined : first - 1;
  }

  acquire(chatId: string): void {
    const entry = this.chats.get(chatId);
    if (entry) {
      entry.refs += 1;
      return;
    }
    // One handler per chat (not per message): the bus calls it with plain arguments.
    const handler: LiveHandler = {
      event: (seq, lastSeqHeader, data, origin) => this.receive(chatId, seq, lastSeqHeader, data, origin),
      typing: (data, origin) => this.receiveTyping(chatId, data, origin),
    };
    const sub = this.bus.subscribeLive(chatId, handler);
    this.chats.set(chatId, { sub, refs: 1, lastSeq: undefined, firstSeq: undefined, held: undefined });
  }

  release(chatId: string): void {
    const entry = this.chats.get(chatId);
    if (!entry) return;
    entry.refs -= 1;
    if (entry.refs <= 0) {
      entry.sub.unsubscribe();
      this.chats.delete(chatId);
    }
  }

  /** Resolves once the server has every subscription made so far. */
  async flush(): Promise<void> {
    await this.bus.flush();
  }

  private receiveTyping(chatId: string, data: Uint8Array, origin: string | undefined): void {
    if (!this.chats.has(chatId)) return;
    const frame = decodeJson(data);
    if (!typingValidator.check(frame) || frame.chat_id !== chatId) return this.sink.dropped(chatId, 'malformed');
    this.sink.typing(chatId, data, origin);
  }

  private receive(chatId: string, seq: number, lastSeqHeader: number | undefined, data: Uint8Array, origin: string | undefined): void {
    const entry = this.chats.get(chatId);
    if (!entry) return;
    if (!Number.isSafeInteger(seq) || seq < 1) return this.malformed(chatId);
    if (!entry.held && this.inOrder(entry, seq, lastSeqHeader) && !this.sink.wanted(chatId, origin, isCreated(data))) {
      // Nobody here takes it (typically the sender's own message, whose socket has its
      // `message_sent`): only the chat's place in the stream moves on, no frame is made.
      return this.advance(entry, seq);
    }
    const frame = this.render(chatId, data, seq) ?? this.undecodable(chatId, seq, data);
    if (entry.held) {
      entry.held.push({ seq, lastSeqHeader, frame, origin });
      return;
    }
    this.accept(chatId, entry, seq, lastSeqHeader, frame, origin);
  }

  /** The event follows the last one delivered, with nothing lost in between (what `accept` delivers at once). */
  private inOrder(entry: ChatEntry, seq: number, lastSeqHeader: number | undefined): boolean {
    if (entry.lastSeq === undefined) return true;
    return seq > entry.lastSeq && (lastSeqHeader === undefined || lastSeqHeader <= entry.lastSeq);
  }

  private advance(entry: ChatEntry, seq: number): void {
    entry.lastSeq = seq;
    entry.firstSeq ??= seq;
  }

  /** The outgoing frame of a stored event: spliced for a new message, else parsed and validated. */
  private render(chatId: string, data: Uint8Array, seq: number): Rendered | undefined {
    const fast = renderCreatedFromBytes(decoder.decode(data), chatId, seq);
    if (fast) return fast;
    const event = decodeChatEvent(data);
    return event === undefined || event.chat_id !== chatId ? undefined : renderEvent(event, seq);
  }

  /** No sequence: it cannot even be placed in the chat's order. */
  private malformed(chatId: string): void {
    this.logger.warn({ chat_id: chatId }, 'dropping a live event without a stream sequence');
    this.sink.dropped(chatId, 'malformed');
  }

  /** Stored, in order, but not decodable here: logged, counted, and a gap frame goes out in its place. */
  private undecodable(chatId: string, seq: number, data: Uint8Array): Rendered {
    logUndecodable(this.logger, chatId, seq, data);
    this.sink.dropped(chatId, 'malformed');
    return renderGap(chatId, seq);
  }

  private accept(
    chatId: string,
    entry: ChatEntry,
    seq: number,
    lastSeqHeader: number | undefined,
    frame: Rendered,
    origin: string | undefined,
  ): void {
    if (entry.lastSeq !== undefined && seq <= entry.lastSeq) return this.sink.dropped(chatId, 'duplicate');
    if (entry.lastSeq !== undefined && lastSeqHeader !== undefined && lastSeqHeader > entry.lastSeq) {
      this.repair(chatId, entry, entry.lastSeq, { seq, lastSeqHeader, frame, origin });
      return;
    }
    this.deliver(chatId, entry, seq, frame, origin);
  }

  private deliver(chatId: string, entry: ChatEntry, seq: number, frame: Rendered, origin: string | undefined): void {
    this.advance(entry, seq);
    this.sink.event({ chatId, seq, type: frame.type, data: frame.data, origin });
  }

  private repair(chatId: string, entry: ChatEntry, afterSeq: number, first: NonNullable<ChatEntry['held']>[number]): void {
    entry.held = [first];
    let repaired = 0;
    this.readGap(chatId, afterSeq, (seq, event) => {
      if (seq >= first.seq || (entry.lastSeq !== undefined && seq <= entry.lastSeq)) return;
      repaired += 1;
      this.deliver(chatId, entry, seq, event === undefined ? renderGap(chatId, seq) : renderEvent(event, seq), undefined);
    })
      .catch((err: unknown) => {
        // Delivering what we hold beats holding the chat forever; clients resume over the hole.
        this.logger.error({ err, chat_id: chatId, after_seq: afterSeq }, 'could not repair a live gap from the stream');
        this.sink.dropped(chatId, 'gap_unrepaired');
      })
      .finally(() => {
        if (repaired) this.sink.repaired(chatId, repaired);
        const held = entry.held ?? [];
        entry.held = undefined;
        if (this.chats.get(chatId) !== entry) return;
        for (const h of held) {
          if (entry.lastSeq !== undefined && h.seq <= entry.lastSeq) {
            this.sink.dropped(chatId, 'duplicate');
            continue;
          }
          this.deliver(chatId, entry, h.seq, h.frame, h.origin);
        }
      });
  }
}
