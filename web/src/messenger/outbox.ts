import type { ReplyPreview } from '@neonchat/common/contracts';
import type { GatewayConnection } from '../net/gateway-connection.js';
import type { ChatTimeline, PendingMessage } from '../state/chat-timeline.js';
import type { MessengerState } from '../state/messenger-state.js';

/** A send not confirmed by `message_sent` within this is sent again with the same request_id. */
const RESEND_AFTER_MS = 8000;
const RESEND_CHECK_MS = 2000;
/** Error codes after which a send is worth repeating with the same request_id. */
export const RETRYABLE = new Set(['unavailable', 'rate_limited', 'internal']);

/**
 * Messages on their way: shown at once as pending bubbles, sent over the socket, and sent
 * again with the **same** request_id (after a retryable error, a reconnect, or silence) so the
 * gateway's dedup stores each once. `message_sent` takes one out.
 */
export class Outbox {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly conn: GatewayConnection,
    private readonly state: MessengerState,
    /** A chat's pending bubbles changed (failed, retried). */
    private readonly changed: (chatId: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.resendStale(), RESEND_CHECK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  send(chatId: string, text: string, attachments?: string[], replyTo?: ReplyPreview): void {
    const t = this.state.timeline(chatId);
    const p: PendingMessage = {
      requestId: crypto.randomUUID(),
      text,
      failed: false,
      sentAt: 0,
      ...(attachments?.length ? { attachments } : {}),
      ...(replyTo ? { replyTo } : {}),
    };
    t.pending.set(p.requestId, p);
    this.sendPending(t, p);
  }

  retry(chatId: string, requestId: string): void {
    const t = this.state.timelines.get(chatId);
    const p = t?.pending.get(requestId);
    if (t && p) this.sendPending(t, p);
    this.changed(chatId);
  }

  /** Everything of `t` not failed goes again (after `history` or `resumed` on a new socket). */
  resendAll(t: ChatTimeline): void {
    for (const p of t.pending.values()) if (!p.failed) this.sendPending(t, p);
  }

  /** An `error` frame for a send of ours: retry it later, or mark it failed. False if it was not ours. */
  refused(requestId: string, code: string): boolean {
    for (const t of this.state.timelines.values()) {
      const p = t.pending.get(requestId);
      if (!p) continue;
      if (RETRYABLE.has(code)) setTimeout(() => this.sendPending(t, p), 1000);
      else p.failed = true;
      this.changed(t.chatId);
      return true;
    }
    return false;
  }

  private sendPending(t: ChatTimeline, p: PendingMessage): void {
    if (!t.pending.has(p.requestId)) return;
    p.failed = false;
    p.sentAt = Date.now();
    this.conn.send({
      type: 'message',
      chat_id: t.chatId,
      text: p.text,
      request_id: p.requestId,
      ...(p.attachments ? { attachments: p.attachments } : {}),
      ...(p.replyTo ? { reply_to: p.replyTo.id } : {}),
    });
  }

  private resendStale(): void {
    if (!this.conn.ready) return;
    const now = Date.now();
    for (const t of this.state.timelines.values()) {
      for (const p of t.pending.values()) if (!p.failed && now - p.sentAt > RESEND_AFTER_MS) this.sendPending(t, p);
    }
  }
}
