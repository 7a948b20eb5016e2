import type { GatewayConnection } from '../net/gateway-connection.js';

/** Typing is announced at most this often while the user keeps typing, and ends after this much quiet. */
const TYPING_REPEAT_MS = 2500;
const TYPING_QUIET_MS = 3000;

/** Our own `typing` frames: `true` while keys come, `false` after a pause, a send or leaving the chat. */
export class TypingSender {
  private sentAt = 0;
  private chatId: string | null = null;
  private quiet: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly conn: GatewayConnection) {}

  input(chatId: string): void {
    if (this.chatId !== chatId) this.stop();
    this.chatId = chatId;
    const now = Date.now();
    if (now - this.sentAt > TYPING_REPEAT_MS) {
      this.sentAt = now;
      this.conn.send({ type: 'typing', chat_id: chatId, is_typing: true });
    }
    clearTimeout(this.quiet);
    this.quiet = setTimeout(() => this.stop(), TYPING_QUIET_MS);
  }

  stop(): void {
    clearTimeout(this.quiet);
    if (this.sentAt && this.chatId) this.conn.send({ type: 'typing', chat_id: this.chatId, is_typing: false });
    this.sentAt = 0;
  }
}
