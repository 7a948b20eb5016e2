/**
 * NATS names, written once. Chat traffic is routed by chat id in the subject, so a gateway
 * only receives the chats its sockets belong to (interest-based routing).
 *
 *   chat.{chatId}.events   JetStream stream CHAT_EVENTS: messages, edits, deletes, read marks
 *   live.{chatId}.events   the stream republishes every stored event here, in stream order,
 *                          with Nats-Sequence / Nats-Last-Sequence headers (nats-server ≥ 2.9)
 *   live.{chatId}.typing   core NATS only: typing is never stored
 *
 * A gateway holds one core subscription `live.{chatId}.*` per chat it has sockets for.
 */
export const STREAMS = {
  chatEvents: 'CHAT_EVENTS',
  deadLetters: 'CHAT_DEAD_LETTERS',
} as const;

export const CONSUMERS = {
  persister: 'persister',
} as const;

export const SUBJECTS = {
  chatEventsWildcard: 'chat.*.events',
  chatEvents: (chatId: string) => `chat.${chatId}.events`,
  liveRepublishDestination: 'live.{{wildcard(1)}}.events',
  liveChat: (chatId: string) => `live.${chatId}.*`,
  liveEvents: (chatId: string) => `live.${chatId}.events`,
  liveTyping: (chatId: string) => `live.${chatId}.typing`,

  /** Membership and chat changes announced by the api (core NATS; gateways resync on reconnect). */
  membershipAll: 'membership.>',
  membership: (chatId: string) => `membership.${chatId}`,

  /** Gateway → presence reports, and presence → everyone transitions. */
  presenceConnect: 'presence.report.connect',
  presenceDisconnect: 'presence.report.disconnect',
  presenceHeartbeat: 'presence.report.heartbeat',
  presenceStatus: 'presence.report.status',
  presenceReportsWildcard: 'presence.report.*',
  presenceChangedAll: 'presence.changed.*',
  presenceChanged: (userId: string) => `presence.changed.${userId}`,
  /** Request/reply: `{user_ids}` → `{statuses}`; one Redis round trip per request. */
  presenceQuery: 'presence.query',

  deadLetters: (chatId: string) => `dlq.chat.${chatId}.events`,
  deadLettersWildcard: 'dlq.chat.*.events',
} as const;

/** The chat id in `chat.{id}.events` / `live.{id}.*`, or undefined for another subject. */
export function chatIdOfSubject(subject: string): string | undefined {
  const parts = subject.split('.');
  if (parts.length === 3 && (parts[0] === 'chat' || parts[0] === 'live')) return parts[1];
  return undefined;
}

/**
 * Header naming the gateway connection an event came from, so that connection's own socket is
 * left out of the fan-out (it already got `message_sent`). Survives the stream's republish.
 */
export const ORIGIN_CONNECTION_HEADER = 'Neon-Origin-Connection';

/**
 * `Nats-Msg-Id` for a client's send: the same (chat, user, request_id) is stored once. The chat
 * is part of it, so a request_id reused in another chat is a new message, not a duplicate.
 */
export function sendDedupId(chatId: string, userId: string, requestId: string): string {
  return `${chatId}:${userId}:${requestId}`;
}
