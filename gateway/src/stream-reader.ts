import { decodeChatEvent, type ChatEvent } from '@neonchat/common/contracts';
import type { Logger } from '@neonchat/common/runtime';
import type { ChatBus, StreamRange, StreamRangeResult } from './bus/chat-bus.js';

/**
 * A stored event of the chat, in stream order. `event` is undefined when this gateway cannot
 * decode what is stored at `seq` (typically an event type written by a newer api during a
 * rolling deploy): the reader has logged and counted it, and the caller shows the client a
 * `gap` frame for that seq (or, for an open's snapshot, leaves it out: it is no message).
 */
export type StoredEventHandler = (seq: number, event: ChatEvent | undefined) => void | Promise<void>;

/** Bytes of an undecodable event quoted in the log: enough to see its type, never its whole text. */
const LOGGED_PREFIX_CHARS = 64;
const decoder = new TextDecoder();

/**
 * Reads one chat's events from the stream through the bus, decoded. Decision for an event it
 * cannot decode: skip it with a visible gap marker (not stop and alert), so a resuming client
 * goes on past it and knows exactly which seq it could not show; the event is logged (seq,
 * chat, a bounded prefix) and counted in `drops_total{reason="malformed"}`, the metric the
 * live path counts the same case in.
 */
export class ChatStreamReader {
  constructor(
    private readonly bus: Pick<ChatBus, 'readRange'>,
    private readonly onUndecodable: (chatId: string, seq: number) => void,
    private readonly logger: Logger,
  ) {}

  /** The live feed's repair of a hole: everything after `afterSeq`. */
  readonly gapReader = async (chatId: string, afterSeq: number, onEvent: StoredEventHandler): Promise<void> => {
    await this.read(chatId, { fromSeq: afterSeq + 1 }, onEvent);
  };

  read(chatId: string, range: StreamRange, onEvent: StoredEventHandler): Promise<StreamRangeResult> {
    return this.bus.readRange(chatId, range, (seq, data) => {
      const event = decodeChatEvent(data);
      if (event !== undefined) return onEvent(seq, event);
      this.undecodable(chatId, seq, data);
      return onEvent(seq, undefined);
    });
  }

  private undecodable(chatId: string, seq: number, data: Uint8Array): void {
    this.onUndecodable(chatId, seq);
    logUndecodable(this.logger, chatId, seq, data);
  }
}

/** One log line for a stored event this gateway cannot decode (live or read back): seq, chat, a bounded prefix. */
export function logUndecodable(logger: Logger, chatId: string, seq: number, data: Uint8Array): void {
  logger.warn(
    { chat_id: chatId, seq, prefix: decoder.decode(data.subarray(0, LOGGED_PREFIX_CHARS * 4)).slice(0, LOGGED_PREFIX_CHARS) },
    'stored chat event not decodable here: a gap frame goes out in its place',
  );
}
