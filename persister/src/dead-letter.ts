import { headers } from '@nats-io/nats-core';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { SUBJECTS, chatIdOfSubject } from '@neonchat/common/contracts';

/** Why an event was dead-lettered; also the `reason` label of the dead-letter metric. */
export type DeadLetterReason = 'malformed' | 'chat_not_found' | 'rejected' | 'max_deliveries';

export const DEAD_LETTER_HEADERS = {
  reason: 'Neon-Dead-Letter-Reason',
  error: 'Neon-Dead-Letter-Error',
  subject: 'Neon-Original-Subject',
  seq: 'Neon-Original-Seq',
  deliveries: 'Neon-Deliveries',
} as const;

/** What a dead letter copies from a delivery (a `JsMsg` is one). */
export type DeadLetterSource = Pick<JsMsg, 'seq' | 'subject' | 'data'> & { readonly info: Pick<JsMsg['info'], 'deliveryCount' | 'stream'> };

/**
 * Copies an event that can never be written to `dlq.chat.{chatId}.events` (stream
 * CHAT_DEAD_LETTERS) with why, and resolves once that stream stored it: only then may the
 * original be terminated. The message id makes a repeat after a crash a no-op.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  msg: DeadLetterSource,
  reason: DeadLetterReason,
  error: string,
): Promise<void> {
  const h = headers();
  h.set(DEAD_LETTER_HEADERS.reason, reason);
  h.set(DEAD_LETTER_HEADERS.error, error.slice(0, 500).replace(/[\r\n]+/g, ' '));
  h.set(DEAD_LETTER_HEADERS.subject, msg.subject);
  h.set(DEAD_LETTER_HEADERS.seq, String(msg.seq));
  h.set(DEAD_LETTER_HEADERS.deliveries, String(msg.info.deliveryCount));
  const chatId = chatIdOfSubject(msg.subject) ?? 'unknown';
  await js.publish(SUBJECTS.deadLetters(chatId), msg.data, { headers: h, msgID: `dead-letter:${msg.info.stream}:${msg.seq}` });
}
