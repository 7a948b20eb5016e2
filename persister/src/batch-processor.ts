import type { JsMsg } from '@nats-io/jetstream';
import { type ChatEvent, SUBJECTS, chatEventValidator, decodeJson } from '@neonchat/common/contracts';
import { inSpan, linkFromHeaders, SpanKind, type Logger } from '@neonchat/common/runtime';
import type { BatchOutcome, SequencedEvent } from './event-writer.js';
import type { DeadLetterReason } from './dead-letter.js';
import type { DatabaseHealth } from './database-health.js';
import type { PersisterMetrics } from './persister-metrics.js';
import { classifyWriteFailure, retryDelayMs } from './write-failure.js';

/** What the processor uses of a JetStream delivery (a `JsMsg` is one; tests pass fakes). */
export type Delivery = Pick<JsMsg, 'seq' | 'subject' | 'data' | 'headers' | 'ack' | 'nak' | 'term'> & {
  readonly info: Pick<JsMsg['info'], 'deliveryCount' | 'stream'>;
};

/** An event of a batch with the delivery (or deliveries, if redelivered while held) it came in. */
export interface BatchItem extends SequencedEvent {
  readonly seq: number;
  readonly event: ChatEvent;
  readonly msgs: Delivery[];
}

export interface ParsedBatch {
  readonly items: BatchItem[];
  readonly malformed: Array<{ msg: Delivery; error: string }>;
}

/** Where each item of a batch ended up after `writeIsolating`. */
export interface Isolated {
  committed: BatchItem[];
  /** Refused for good: dead-letter now. */
  rejected: Array<{ item: BatchItem; reason: DeadLetterReason; error: string }>;
  /** Failed on its own: redeliver later (and dead-letter once out of deliveries). */
  retry: Array<{ item: BatchItem; error: string }>;
  /** PostgreSQL is unavailable: these were not tried (or not committed); redeliver later. */
  unavailable: BatchItem[];
  unavailableError?: unknown;
}

export interface RetrySettings {
  readonly PERSISTER_RETRY_BASE_MS: number;
  readonly PERSISTER_RETRY_MAX_MS: number;
  readonly PERSISTER_MAX_DELIVER: number;
}

export interface BatchProcessorDeps {
  /** Writes a batch in one transaction (`writeBatch` on the pool). */
  readonly write: (items: readonly BatchItem[]) => Promise<BatchOutcome>;
  /** Stores a copy on the dead-letter stream (`publishDeadLetter`); resolves once stored. */
  readonly publishDeadLetter: (msg: Delivery, reason: DeadLetterReason, error: string) => Promise<void>;
  /** Holds off new batches until `at` (Unix ms) and hands back what waits for one (`BatchLanes.pauseUntil`). */
  readonly pauseUntil: (at: number) => Iterable<Delivery>;
  readonly isClosing: () => boolean;
  readonly health: DatabaseHealth;
  readonly metrics: Pick<PersisterMetrics, 'written' | 'batchSize' | 'writeSeconds' | 'failures' | 'deadLetters' | 'parkedChanges'>;
  readonly settings: RetrySettings;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Links of one batch span to the spans that published its events, at most. */
const MAX_SPAN_LINKS = 128;

/**
 * Decodes a batch of deliveries: one item per stream sequence (a redelivery of an event still
 * held joins its item), and what can never be an event — bad JSON, not a chat event, a chat id
 * other than the subject's — set apart for the dead-letter stream.
 */
export function parseDeliveries(msgs: readonly Delivery[]): ParsedBatch {
  const bySeq = new Map<number, BatchItem>();
  const malformed: Array<{ msg: Delivery; error: string }> = [];
  for (const m of msgs) {
    const held = bySeq.get(m.seq);
    if (held) {
      held.msgs.push(m);
      continue;
    }
    const event = decodeJson(m.data);
    if (event === undefined) {
      malformed.push({ msg: m, error: 'invalid JSON' });
      continue;
    }
    if (!chatEventValidator.check(event)) {
      malformed.push({ msg: m, error: 'not a chat event' });
      continue;
    }
    if (m.subject !== SUBJECTS.chatEvents(event.chat_id)) {
      malformed.push({ msg: m, error: 'chat_id differs from the subject' });
      continue;
    }
    bySeq.set(m.seq, { seq: m.seq, event, msgs: [m] });
  }
  return { items: [...bySeq.values()], malformed };
}

/**
 * One batch from delivery to settlement: parse → write (isolating the events PostgreSQL
 * refuses) → ack what committed → nak with a growing delay what must wait → dead-letter what
 * can never be written. Nothing is acked before its transaction committed, and every delivery
 * of the batch is settled (or left to the ack wait) before `process` resolves.
 */
export class BatchProcessor {
  private readonly now: () => number;

  constructor(private readonly deps: BatchProcessorDeps) {
    this.now = deps.now ?? Date.now;
  }

  async process(msgs: readonly Delivery[]): Promise<void> {
    const { items, malformed } = parseDeliveries(msgs);
    const out: Isolated = { committed: [], rejected: [], retry: [], unavailable: [] };
    // One span per batch, linked to the spans that published its events (the trace crosses
    // NATS in the message headers); links are capped so a large batch stays a small span. The
    // headers are decoded only for a span that records: not while nothing exports, and not for
    // a batch the sampler left out.
    await inSpan(
      'chat.events persist',
      { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'nats', 'messaging.batch.message_count': msgs.length } },
      (span) => {
        if (span.isRecording()) {
          span.addLinks(
            msgs
              .slice(0, MAX_SPAN_LINKS)
              .map((m) => linkFromHeaders(m.headers))
              .filter((l) => l !== undefined),
          );
        }
        return this.writeIsolating(items, out);
      },
    );
    this.ackCommitted(out.committed);
    this.settleUnavailable(out);
    await this.settleFailed(out.retry);
    for (const { item, reason, error } of out.rejected) for (const m of item.msgs) await this.deadLetter(m, reason, error);
    for (const { msg, error } of malformed) await this.deadLetter(msg, 'malformed', error);
  }

  /**
   * Writes `items`; when the write is refused, splits the batch in halves (and so on) so the
   * good events commit and only the bad one is singled out. An unavailable database stops
   * the splitting: the rest waits for a redelivery.
   */
  async writeIsolating(items: BatchItem[], out: Isolated): Promise<void> {
    if (!items.length) return;
    if (out.unavailableError !== undefined) {
      out.unavailable.push(...items);
      return;
    }
    const { metrics } = this.deps;
    const started = process.hrtime.bigint();
    try {
      const outcome = await this.deps.write(items);
      metrics.writeSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (outcome.parked) metrics.parkedChanges.inc(outcome.parked);
      for (const item of items) {
        if (outcome.missingChats.has(item.event.chat_id)) {
          out.rejected.push({ item, reason: 'chat_not_found', error: `chat ${item.event.chat_id} does not exist` });
        } else out.committed.push(item);
      }
      return;
    } catch (err) {
      const kind = classifyWriteFailure(err);
      metrics.failures.inc({ kind });
      if (kind === 'unavailable') {
        out.unavailableError = err;
        out.unavailable.push(...items);
        return;
      }
      if (items.length === 1) {
        const item = items[0]!;
        const error = err instanceof Error ? err.message : String(err);
        if (kind === 'rejected') out.rejected.push({ item, reason: 'rejected', error });
        else out.retry.push({ item, error });
        return;
      }
      this.deps.logger.warn({ err, size: items.length, kind }, 'batch refused, splitting it to single out the bad events');
      const half = Math.ceil(items.length / 2);
      await this.writeIsolating(items.slice(0, half), out);
      await this.writeIsolating(items.slice(half), out);
    }
  }

  /** Copies `msg` to the dead-letter stream, then terminates it; if the copy fails, naks it to try again. */
  async deadLetter(msg: Delivery, reason: DeadLetterReason, error: string): Promise<void> {
    try {
      await this.deps.publishDeadLetter(msg, reason, error);
      msg.term();
      this.deps.metrics.deadLetters.inc({ reason });
      this.deps.logger.error(
        { seq: msg.seq, subject: msg.subject, reason, error, deliveries: msg.info.deliveryCount },
        'event dead-lettered',
      );
    } catch (err) {
      const delayMs = this.retryDelay(msg.info.deliveryCount);
      this.deps.logger.error({ err, seq: msg.seq, reason, delayMs }, 'could not dead-letter an event, will retry');
      msg.nak(delayMs);
    }
  }

  private ackCommitted(committed: readonly BatchItem[]): void {
    let count = 0;
    const byType = new Map<string, number>();
    for (const item of committed) {
      for (const m of item.msgs) m.ack();
      count += 1;
      byType.set(item.event.type, (byType.get(item.event.type) ?? 0) + 1);
    }
    if (count) {
      this.deps.metrics.batchSize.observe(count);
      for (const [type, n] of byType) this.deps.metrics.written.inc({ type }, n);
    }
  }

  private settleUnavailable(out: Isolated): void {
    const { health } = this.deps;
    if (out.unavailableError === undefined) {
      if (out.committed.length) health.available();
      return;
    }
    const inARow = health.unavailable();
    const delayMs = this.deps.isClosing() ? 0 : this.retryDelay(inARow);
    this.deps.logger.error(
      { err: out.unavailableError, size: out.unavailable.length, delayMs },
      'PostgreSQL unavailable, batch will be redelivered',
    );
    for (const item of out.unavailable) for (const m of item.msgs) m.nak(delayMs);
    // Hold off further writes for as long, and hand back what waits here too, so nothing
    // sits in this replica past its ack wait while PostgreSQL is away.
    for (const m of this.deps.pauseUntil(this.now() + delayMs)) m.nak(delayMs);
  }

  private async settleFailed(retry: Isolated['retry']): Promise<void> {
    for (const { item, error } of retry) {
      const deliveries = Math.min(...item.msgs.map((m) => m.info.deliveryCount));
      if (deliveries >= this.deps.settings.PERSISTER_MAX_DELIVER) {
        for (const m of item.msgs) await this.deadLetter(m, 'max_deliveries', error);
      } else {
        const delayMs = this.retryDelay(deliveries);
        this.deps.logger.warn({ seq: item.seq, error, deliveries, delayMs }, 'event failed on its own, will retry');
        for (const m of item.msgs) m.nak(delayMs);
      }
    }
  }

  private retryDelay(attempt: number): number {
    return retryDelayMs(attempt, this.deps.settings.PERSISTER_RETRY_BASE_MS, this.deps.settings.PERSISTER_RETRY_MAX_MS);
  }
}
