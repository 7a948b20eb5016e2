/** After this long without a refresh, a typing user is announced as stopped. */
export const TYPING_TIMEOUT_MS = 3000;

/** Publishes a typing change of `userId` in `chatId`, sent from connection `origin`. */
export type TypingPublisher = (chatId: string, userId: string, isTyping: boolean, origin: string) => void;

/**
 * Typing state of this gateway's sockets. Only transitions go on the bus (a refresh of
 * `is_typing:true` just re-arms the timer); `is_typing:false` goes out 3 s after the last
 * refresh, or at once when the socket sends a message in that chat, leaves it, or closes.
 */
export class TypingTracker {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; userId: string; chatId: string; origin: string }>();

  constructor(
    private readonly publish: TypingPublisher,
    private readonly timeoutMs = TYPING_TIMEOUT_MS,
  ) {}

  /** The socket `origin` of `userId` says it is (or is no longer) typing in `chatId`. */
  set(origin: string, userId: string, chatId: string, isTyping: boolean): void {
    if (!isTyping) return this.stop(origin, chatId);
    const key = `${origin} ${chatId}`;
    const current = this.timers.get(key);
    if (current) {
      current.timer.refresh();
      return;
    }
    const timer = setTimeout(() => this.stop(origin, chatId), this.timeoutMs);
    timer.unref();
    this.timers.set(key, { timer, userId, chatId, origin });
    this.publish(chatId, userId, true, origin);
  }

  /** Announces `is_typing:false` now if the socket was typing in the chat. */
  stop(origin: string, chatId: string): void {
    const key = `${origin} ${chatId}`;
    const current = this.timers.get(key);
    if (!current) return;
    clearTimeout(current.timer);
    this.timers.delete(key);
    this.publish(chatId, current.userId, false, origin);
  }

  isTyping(origin: string, chatId: string): boolean {
    return this.timers.has(`${origin} ${chatId}`);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }
}
