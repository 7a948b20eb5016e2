import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { SUBJECTS, type Logger } from '@neonchat/common';

/**
 * One core NATS subscription per chat per gateway, reference-counted over the sockets that
 * follow the chat: the first socket subscribes, the last one to leave unsubscribes. Never one
 * subscription per socket, never a JetStream consumer per chat.
 */
export class LiveSubscriptions {
  private readonly subs = new Map<string, { sub: Subscription; refs: number }>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly onMessage: (chatId: string, msg: Msg) => void,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.subs.size;
  }

  has(chatId: string): boolean {
    return this.subs.has(chatId);
  }

  acquire(chatId: string): void {
    const entry = this.subs.get(chatId);
    if (entry) {
      entry.refs += 1;
      return;
    }
    const sub = this.nc.subscribe(SUBJECTS.liveChat(chatId), {
      callback: (err, msg) => {
        if (err) {
          this.logger.error({ err, chat_id: chatId }, 'live subscription failed');
          return;
        }
        this.onMessage(chatId, msg);
      },
    });
    this.subs.set(chatId, { sub, refs: 1 });
  }

  release(chatId: string): void {
    const entry = this.subs.get(chatId);
    if (!entry) return;
    entry.refs -= 1;
    if (entry.refs <= 0) {
      entry.sub.unsubscribe();
      this.subs.delete(chatId);
    }
  }

  /** A promise that resolves when the server has seen every subscription made so far. */
  async flush(): Promise<void> {
    await this.nc.flush();
  }
}
