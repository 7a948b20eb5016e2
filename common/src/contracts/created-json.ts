/**
 * The client's `Message` JSON of a `message.created` event, spliced from the event's own JSON
 * instead of parse → map → stringify. Only for JSON our publishers wrote with `JSON.stringify`
 * of a validated `MessageCreatedEvent` (one flat object whose string values are escaped, so a
 * key can only be a key): the stored event and the message differ only in the event's `type`,
 * which the message lacks, and the message's `seq` and `updated_at`, which the event lacks.
 */

/** How `JSON.stringify` of a `MessageCreatedEvent` (built with `type` first) starts. */
export const CREATED_EVENT_PREFIX = '{"type":"message.created",';

/**
 * The message as JSON (`{"id":…,…,"seq":N,"updated_at":null}`), or undefined if `eventJson` is
 * not in the shape our publishers write or is not of `chatId`: then the caller parses and
 * validates as for any other event.
 */
export function createdMessageJson(eventJson: string, chatId: string, seq: number): string | undefined {
  if (!eventJson.startsWith(CREATED_EVENT_PREFIX) || eventJson.charCodeAt(eventJson.length - 1) !== 0x7d) return undefined;
  if (!eventJson.includes(`"chat_id":"${chatId}"`) || eventJson.includes('"seq":') || eventJson.includes('"updated_at":')) {
    return undefined;
  }
  return `{${eventJson.slice(CREATED_EVENT_PREFIX.length, -1)},"seq":${seq},"updated_at":null}`;
}

/** A `message_sent` frame around a message's JSON (`createdMessageJson`): the same frame `JSON.stringify` would make. */
export function messageSentFrameJson(requestId: string, messageJson: string): string {
  return `{"type":"message_sent","request_id":${JSON.stringify(requestId)},"status":"delivered","message":${messageJson}}`;
}

/** A `new_message` frame around a message's JSON (`createdMessageJson`). */
export function newMessageFrameJson(messageJson: string): string {
  return `{"type":"new_message","message":${messageJson}}`;
}
