/**
 * A chat client for load through the balancer: sends numbered messages, each with its own
 * request_id, counts the acks (message_sent), and after a lost connection reconnects (to any
 * gateway) and sends the unacked ones again with the same request_id, as a real client does.
 */
import WebSocket from 'ws';

export interface SendRecord {
  readonly requestId: string;
  readonly text: string;
  sentAt: number;
  messageId?: string;
  /** When the ack (message_sent) arrived. */
  ackedAt?: number;
}

export class LoadClient {
  readonly records = new Map<string, SendRecord>();
  sends = 0;
  resends = 0;
  reconnects = 0;
  errors = 0;
  readonly errorCodes: Record<string, number> = {};
  private ws: WebSocket | undefined;
  private ready = false;
  private stopped = false;
  private counter = 0;

  constructor(
    private readonly wsUrl: string,
    private readonly token: string,
    private readonly chatId: string,
    private readonly label: string,
  ) {}

  get acked(): SendRecord[] {
    return [...this.records.values()].filter((r) => r.messageId !== undefined);
  }

  get unacked(): SendRecord[] {
    return [...this.records.values()].filter((r) => r.messageId === undefined);
  }

  async connect(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      try {
        await this.open();
        return;
      } catch {
        await sleep(200);
      }
    }
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.wsUrl}?token=${this.token}`);
      this.ws = ws;
      this.ready = false;
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; request_id?: string; code?: string; message?: { id: string } };
        if (frame.type === 'ready') {
          this.ready = true;
          // Everything not acked before the connection was lost goes again, same request_id.
          for (const r of this.unacked) this.send(r, true);
          resolve();
        } else if (frame.type === 'message_sent' && frame.request_id && frame.message) {
          const r = this.records.get(frame.request_id);
          if (r && r.messageId === undefined) {
            r.messageId = frame.message.id;
            r.ackedAt = Date.now();
          }
        } else if (frame.type === 'error') {
          this.errors += 1;
          this.errorCodes[frame.code ?? '?'] = (this.errorCodes[frame.code ?? '?'] ?? 0) + 1;
          const r = frame.request_id ? this.records.get(frame.request_id) : undefined;
          // Sent again at the next tick's check of stale sends.
          if (r) r.sentAt = 0;
        }
      });
      ws.once('error', (err) => {
        if (!this.ready) reject(err);
      });
      ws.once('close', () => {
        const wasReady = this.ready;
        this.ready = false;
        if (!wasReady) {
          reject(new Error('closed before ready'));
          return;
        }
        if (this.stopped) return;
        this.reconnects += 1;
        void sleep(100).then(() => this.connect());
      });
    });
  }

  private send(r: SendRecord, again: boolean): void {
    if (!this.ready || this.ws?.readyState !== WebSocket.OPEN) return;
    r.sentAt = Date.now();
    if (again) this.resends += 1;
    else this.sends += 1;
    this.ws.send(JSON.stringify({ type: 'message', chat_id: this.chatId, text: r.text, request_id: r.requestId }));
  }

  /** One tick of the load: a new message, and any send unanswered for 3 s goes again. */
  tick(): void {
    if (!this.ready) return;
    const now = Date.now();
    for (const r of this.unacked) if (now - r.sentAt > 3000) this.send(r, true);
    this.counter += 1;
    const requestId = `${this.label}-${this.counter}`;
    const record: SendRecord = { requestId, text: `load ${requestId}`, sentAt: 0 };
    this.records.set(requestId, record);
    this.send(record, false);
  }

  /** Only the stale unacked ones go again (the end of a run). */
  retryStale(): void {
    const now = Date.now();
    for (const r of this.unacked) if (now - r.sentAt > 3000) this.send(r, true);
  }

  close(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}
