import type { TSchema } from 'typebox';
import { CLOSE_CODES, ERROR_CODES, type ErrorCode } from './error-codes.js';
import { ERROR_CODE_DOCS } from './error-docs.js';
import { ACCOUNT_SUBJECTS, BlocksChangedEvent, REVOCATION_BUCKET, RevokedSession, RevokedUser } from './account-events.js';
import { CONTRACT_VERSION } from './version.js';
import { STREAMS, SUBJECTS, ORIGIN_CONNECTION_HEADER } from './subjects.js';
import {
  CLIENT_FRAME_SCHEMAS,
  ErrorFrame,
  GapFrame,
  HistoryFrame,
  MessageDeletedFrame,
  MessageSentFrame,
  MessageUpdatedFrame,
  NewMessageFrame,
  PongFrame,
  PresenceEventFrame,
  MembershipFrame,
  ReactionFrame,
  ReactionSavedFrame,
  ReadFrame,
  ReadyFrame,
  ResumedFrame,
  TypingEventFrame,
  type ServerFrame,
} from './frames.js';
import {
  ChatReadEvent,
  MembershipChangedEvent,
  MessageCreatedEvent,
  MessageDeletedEvent,
  MessageUpdatedEvent,
  ReactionAddedEvent,
  ReactionRemovedEvent,
  type ChatEventType,
} from './chat-events.js';
import {
  ConnectionClosedReport,
  ConnectionOpenedReport,
  HeartbeatAck,
  HeartbeatReport,
  PresenceChangedEvent,
  PresenceQuery,
  PresenceQueryReply,
  StatusReport,
} from './presence-events.js';

/**
 * Every frame the gateway sends, by `type`. `satisfies` makes a new member of `ServerFrame`
 * without a schema here a compile error, so the document cannot silently miss a frame.
 */
export const SERVER_FRAME_SCHEMAS = {
  ready: ReadyFrame,
  message_sent: MessageSentFrame,
  new_message: NewMessageFrame,
  message_updated: MessageUpdatedFrame,
  message_deleted: MessageDeletedFrame,
  read: ReadFrame,
  reaction: ReactionFrame,
  reaction_saved: ReactionSavedFrame,
  typing: TypingEventFrame,
  presence: PresenceEventFrame,
  membership: MembershipFrame,
  history: HistoryFrame,
  resumed: ResumedFrame,
  pong: PongFrame,
  error: ErrorFrame,
  gap: GapFrame,
} as const satisfies { readonly [K in ServerFrame['type']]: TSchema };

/** Every event stored on the chat stream, by `type` (checked against `ChatEventType` likewise). */
export const CHAT_EVENT_SCHEMAS = {
  'message.created': MessageCreatedEvent,
  'message.updated': MessageUpdatedEvent,
  'message.deleted': MessageDeletedEvent,
  'chat.read': ChatReadEvent,
  'reaction.added': ReactionAddedEvent,
  'reaction.removed': ReactionRemovedEvent,
} as const satisfies { readonly [K in ChatEventType]: TSchema };

/** What each frame is for, one line each (the schema says the shape). */
const CLIENT_FRAME_DOCS: { readonly [K in keyof typeof CLIENT_FRAME_SCHEMAS]: string } = {
  message: 'Send a message. Answered `message_sent` once the stream stored it; a resend with the same `request_id` is stored once.',
  typing: 'Typing started or stopped. Not stored; members get a `typing` frame (stopped on its own 3 s after the last `true`).',
  open: 'Open a chat: answered `history` (the newest messages, including those the persister has not written yet), then live frames.',
  resume: 'After a reconnect: every event after `after_seq` (or `after_id`), then `resumed`. Too many missed: `error` `resume_too_far`.',
  ping: 'Application-level ping, answered `pong` (also counts as traffic for the idle timeout).',
  presence: 'Set yourself `away` or back `online`.',
  react: 'Add or take back an emoji reaction. Answered `reaction_saved`; every member then gets `reaction`.',
};

const SERVER_FRAME_DOCS: { readonly [K in keyof typeof SERVER_FRAME_SCHEMAS]: string } = {
  ready: 'First frame on every socket: who you are and which chats this socket follows. Nothing else comes before it.',
  message_sent: 'Your `message` was stored (to your socket only; your other sockets get `new_message`).',
  new_message: 'A message in a chat you follow.',
  message_updated: 'A message was edited.',
  message_deleted: 'A message was deleted.',
  read: "A member's read mark moved.",
  reaction: 'A reaction was added or taken back.',
  reaction_saved: 'Your `react` was stored.',
  typing: 'A member started or stopped typing.',
  presence: 'Someone you share a direct chat or group with came online, went offline or away.',
  membership:
    'Your own membership changed (to every socket of yours): `chat_added` (this socket follows the chat from now on), `chat_removed` (removed or banned, see `status`: nothing of the chat comes any more), `role_changed`.',
  history: 'Answer to `open` (or to `?chat_id=` on connect): the newest messages, oldest first.',
  resumed: 'End of a `resume` replay: live frames follow.',
  pong: 'Answer to `ping`.',
  error: 'A refused frame: `code` from the closed list (see the description), `request_id` echoed when it was valid.',
  gap: 'The stored event at `seq` of the chat could not be shown by this gateway (`unsupported_event`: written by a newer version, or damaged) and was skipped; live and in a `resume` replay. `seq` counts as seen.',
};

const CHAT_EVENT_DOCS: { readonly [K in keyof typeof CHAT_EVENT_SCHEMAS]: string } = {
  'message.created': 'A message, published by the gateway (Nats-Msg-Id = chat:user:request_id deduplicates resends).',
  'message.updated': 'An edit, published by the api.',
  'message.deleted': 'A delete, published by the api.',
  'chat.read': 'A read mark, published by the api.',
  'reaction.added': 'A reaction, published by the gateway or the api.',
  'reaction.removed': 'A reaction taken back, published by the gateway or the api.',
};

/** A JSON Schema copy of a typebox schema: typebox's symbols and `$id`s stay out of the document. */
function payload(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => (key === '$id' ? undefined : value)) as Record<string, unknown>;
}

function messageOf(name: string, title: string, summary: string, schema: TSchema): Record<string, unknown> {
  return { name, title, summary, contentType: 'application/json', payload: payload(schema) };
}

const CLOSE_CODE_DOCS: { readonly [K in keyof typeof CLOSE_CODES]: string } = {
  goingAway: 'server going away (deploy, shutdown): reconnect after a short random delay, then `resume`',
  messageTooBig:
    'not sent by the gateway today (a frame over GATEWAY_MAX_FRAME_BYTES is answered `payload_too_large`, one far over it is cut without a close frame, 1006); clients should treat it like 1006',
  tryAgainLater:
    'the database could not be read when the socket opened (its chats are read at or right after the upgrade): reconnect after a short delay, then `resume`',
  tokenExpired: 'the token ran out while the socket was open: log in again, then reconnect',
  unknownUser:
    'the token is valid but its user was found gone when the socket opened (an account this gateway saw lately, removed without the api; any other user that does not exist is refused at the upgrade with HTTP 401): log in again',
  sessionEnded:
    'the session of the token was ended (logout, a `DELETE /me/sessions/{id}`, "log out everywhere else", a password change or the account\'s deletion), sent to its sockets on every gateway within a second: do not refresh or reconnect with it, log in again',
  slowConsumer:
    'the client did not read fast enough (send buffer over GATEWAY_MAX_BACKPRESSURE_BYTES, a ping unanswered for GATEWAY_SLOW_SOCKET_MS while it gets messages, or among the largest buffers when the gateway holds too much for all its sockets): reconnect and `resume`',
  tooManyConnections: 'too many sockets for one user (GATEWAY_MAX_SOCKETS_PER_USER)',
  rateLimited: 'too many frames refused for rate: the client is misbehaving',
};

function table(rows: Array<[string, string]>): string {
  return rows.map(([k, v]) => `- \`${k}\`: ${v}`).join('\n');
}

const DESCRIPTION = `The NeonChat WebSocket protocol (one JSON object per text frame, with a \`type\`) and the NATS
subjects and JetStream events between the services. Contract ${CONTRACT_VERSION}; see CHANGELOG.md.

## Connecting
\`ws://HOST:8082/ws?token=JWT\` (or \`Authorization: Bearer JWT\` on the upgrade). \`&chat_id=ID\` opens one chat
at once. The first frame is always \`ready\`; nothing comes before it. \`presence\` frames tell when people you share a chat with come online, go offline or turn away.

A refused upgrade gets an HTTP answer with a JSON body \`{"error": {"code", "message"}}\` and no socket: 401
(\`unauthorized\` or \`token_expired\`: no token, a bad, expired or revoked one, an ended session, a deleted account, or
a user that does not exist), 429 (\`rate_limited\`: GATEWAY_MAX_SOCKETS_PER_USER sockets open), 400
(\`validation_failed\`: no \`Connection: Upgrade\`), 503 (\`unavailable\`: the gateway is shutting down).

## Heartbeats
The gateway (uWebSockets.js, \`GATEWAY_IDLE_TIMEOUT_S\`, 60 by default, counted in 4 s ticks) sends a WebSocket
ping after about 44 s without traffic and cuts a socket that sent nothing (no frame, no pong) for 56–60 s, without a close frame (1006;
measured with the defaults: ping at 44 s, cut at 60 s).
Browsers and \`ws\` answer pings on their own; a client that cannot may send \`{"type":"ping"}\` every 30 s.

## Close codes
${table(Object.entries(CLOSE_CODES).map(([name, code]) => [String(code), CLOSE_CODE_DOCS[name as keyof typeof CLOSE_CODES]]))}

A socket cut without a close frame (1006) was over uWS's hard backpressure limit or sent a frame far over the
size limit: reconnect and \`resume\`.

## Error codes (\`error\` frames and REST bodies)
${table((Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => [code, `${ERROR_CODE_DOCS[code].meaning} (HTTP ${ERROR_CODE_DOCS[code].http})`]))}

## Recovering from \`resume_too_far\` without gaps
Send \`open\` for the chat: its \`history\` is built from PostgreSQL *and* the stream tail the persister has not
written yet, and live frames follow it. Then page older over REST, \`GET /api/v1/chats/{id}/messages?before_id=\`
the oldest id you hold, until \`has_previous\` is false; a 404 on the cursor means it is not persisted yet: retry
after a second. Reloading over REST alone can miss messages still on their way to PostgreSQL.`;

const chatIdParameter = { chatId: { description: 'Id of the chat (a canonical UUID)' } };

type Messages = Record<string, Record<string, unknown>>;
/** A channel of the document: what it carries, and the rest of its description. */
type Channel = { readonly messages: Messages } & Record<string, unknown>;
type Channels = Record<string, Channel>;

/** The socket's frames and the chat stream's events, as AsyncAPI messages by name. */
interface MessageSets {
  readonly client: Messages;
  readonly server: Messages;
  readonly events: Messages;
}

/** Messages named `prefix + key` for each schema of a table, each with its one-line doc. */
function messagesOf<K extends string>(
  schemas: { readonly [P in K]: TSchema },
  docs: { readonly [P in K]: string },
  name: (type: K) => string,
  title: (type: K) => string,
): Messages {
  return Object.fromEntries(
    (Object.keys(schemas) as K[]).map((type) => [name(type), messageOf(name(type), title(type), docs[type], schemas[type])]),
  );
}

function messageSets(): MessageSets {
  return {
    client: messagesOf(
      CLIENT_FRAME_SCHEMAS,
      CLIENT_FRAME_DOCS,
      (t) => `client_${t}`,
      (t) => `${t} (client → server)`,
    ),
    server: messagesOf(
      SERVER_FRAME_SCHEMAS,
      SERVER_FRAME_DOCS,
      (t) => `server_${t}`,
      (t) => `${t} (server → client)`,
    ),
    events: messagesOf(CHAT_EVENT_SCHEMAS, CHAT_EVENT_DOCS, eventKey, (t) => t),
  };
}

function bus(address: string, summary: string, messages: Messages, parameters?: Record<string, unknown>): Channel {
  return { address, servers: [{ $ref: '#/servers/nats' }], description: summary, ...(parameters ? { parameters } : {}), messages };
}

function one(name: string, summary: string, schema: TSchema): Messages {
  return { [name]: messageOf(name, name, summary, schema) };
}

/** The socket and every NATS subject, with the messages each carries. */
function channelsOf({ client: clientMessages, server: serverMessages, events: eventMessages }: MessageSets): Channels {
  return {
    socket: {
      address: '/ws',
      servers: [{ $ref: '#/servers/gateway' }],
      title: 'WebSocket',
      description: 'One socket per client connection; frames both ways.',
      messages: { ...clientMessages, ...serverMessages },
    },
    chatEvents: bus(
      'chat.{chatId}.events',
      `JetStream stream ${STREAMS.chatEvents}: the chat's stored events, in order. The stream sequence is the event's \`seq\`.`,
      eventMessages,
      chatIdParameter,
    ),
    liveEvents: bus(
      'live.{chatId}.events',
      `The stream republishes every stored event here (core NATS) with Nats-Sequence / Nats-Last-Sequence headers; gateways fan out from it. The ${ORIGIN_CONNECTION_HEADER} header names the sending connection.`,
      Object.fromEntries(Object.entries(eventMessages).map(([k, v]) => [k, v])),
      chatIdParameter,
    ),
    liveTyping: bus(
      'live.{chatId}.typing',
      'Typing, core NATS only: never stored.',
      one('typing', 'A `typing` frame as members get it.', TypingEventFrame),
      chatIdParameter,
    ),
    membership: bus(
      'membership.{chatId}',
      'Membership changes, announced by the api after commit (core NATS); gateways subscribe or drop sockets at once.',
      one(
        'membership_changed',
        '`status: left` means no longer a member; `active` after an unban means readmitted.',
        MembershipChangedEvent,
      ),
      chatIdParameter,
    ),
    presenceConnect: bus(
      SUBJECTS.presenceConnect,
      'Gateway → presence: a socket opened.',
      one('connection_opened', 'A socket opened.', ConnectionOpenedReport),
    ),
    presenceDisconnect: bus(
      SUBJECTS.presenceDisconnect,
      'Gateway → presence: a socket closed.',
      one('connection_closed', 'A socket closed.', ConnectionClosedReport),
    ),
    presenceHeartbeat: bus(
      SUBJECTS.presenceHeartbeat,
      "Gateway → presence: the gateway's live connections, every GATEWAY_PRESENCE_HEARTBEAT_S (may be a request, answered with an ack).",
      {
        ...one('heartbeat', 'Live connections of one gateway.', HeartbeatReport),
        ...one('heartbeat_ack', 'Applied or not.', HeartbeatAck),
      },
    ),
    presenceStatus: bus(
      SUBJECTS.presenceStatus,
      'Gateway → presence: a client set itself away or online.',
      one('status_report', 'Away or online.', StatusReport),
    ),
    presenceChanged: bus(
      'presence.changed.{userId}',
      'Presence → everyone: a user went online, offline or away.',
      one('presence_changed', 'A presence transition.', PresenceChangedEvent),
      { userId: { description: 'Id of the user' } },
    ),
    presenceQuery: bus(
      SUBJECTS.presenceQuery,
      'Request/reply: many users, one Redis round trip.',
      one('presence_query', 'The users asked about.', PresenceQuery),
    ),
    presenceQueryReply: {
      address: null,
      servers: [{ $ref: '#/servers/nats' }],
      description: 'The reply inbox of a `presence.query` request.',
      messages: one('presence_query_reply', 'Statuses in the order asked; `error` when refused.', PresenceQueryReply),
    },
    revokedSessions: bus(
      `$KV.${REVOCATION_BUCKET}.s.{sessionId}`,
      `Key/value bucket ${REVOCATION_BUCKET} (JetStream; entries expire after the access token lifetime + 60 s): sessions the api ended. Every gateway loads the bucket before it listens and closes the session's sockets with 4004 when an entry arrives.`,
      one('revoked_session', 'Key `s.{session_id}`: tokens with this `sid` are refused.', RevokedSession),
      { sessionId: { description: 'Id of the session' } },
    ),
    revokedUsers: bus(
      `$KV.${REVOCATION_BUCKET}.u.{userId}`,
      `Key/value bucket ${REVOCATION_BUCKET}: accounts deleted (every token refused) or cut off (tokens without a \`sid\` issued before \`before\` refused).`,
      one('revoked_user', 'Key `u.{user_id}`.', RevokedUser),
      { userId: { description: 'Id of the user' } },
    ),
    blocksChanged: bus(
      ACCOUNT_SUBJECTS.blocksChanged,
      'The api announces a block or unblock (core NATS); gateways drop their cached block answers.',
      one('blocks_changed', 'Who blocked or unblocked whom.', BlocksChangedEvent),
    ),
    deadLetters: bus(
      'dlq.chat.{chatId}.events',
      `JetStream stream ${STREAMS.deadLetters}: events the persister could not write after its retries, as they were.`,
      eventMessages,
      chatIdParameter,
    ),
  };
}

function refs(channel: string, names: readonly string[]): Array<{ $ref: string }> {
  return names.map((n) => ({ $ref: `#/channels/${channel}/messages/${n}` }));
}

/**
 * Who sends or receives on a channel: every message of it, or the ones named. A summary when
 * the channel's own description does not say who.
 */
function operation(
  channels: Channels,
  action: 'send' | 'receive',
  channel: string,
  summary?: string,
  names: readonly string[] = Object.keys(channels[channel]?.messages ?? {}),
): Record<string, unknown> {
  return { action, channel: { $ref: `#/channels/${channel}` }, ...(summary ? { summary } : {}), messages: refs(channel, names) };
}

function operationsOf(channels: Channels, sets: MessageSets): Record<string, unknown> {
  const op = (action: 'send' | 'receive', channel: string, summary?: string, names?: readonly string[]) =>
    operation(channels, action, channel, summary, names);
  return {
    receiveClientFrames: op('receive', 'socket', 'Frames a client sends to the gateway.', Object.keys(sets.client)),
    sendServerFrames: op('send', 'socket', 'Frames the gateway sends to a client.', Object.keys(sets.server)),
    publishChatEvents: op('send', 'chatEvents', 'Gateway and api store chat events.'),
    receiveLiveEvents: op('receive', 'liveEvents', 'Gateways fan stored events out.'),
    typing: op('send', 'liveTyping', 'Gateways relay typing.'),
    announceMembership: op('send', 'membership', 'The api announces membership changes.'),
    reportConnect: op('send', 'presenceConnect'),
    reportDisconnect: op('send', 'presenceDisconnect'),
    reportHeartbeat: op('send', 'presenceHeartbeat', undefined, ['heartbeat']),
    reportStatus: op('send', 'presenceStatus'),
    announcePresence: op('send', 'presenceChanged'),
    queryPresence: {
      ...op('send', 'presenceQuery', 'The api asks presence about many users at once.'),
      reply: { channel: { $ref: '#/channels/presenceQueryReply' }, messages: refs('presenceQueryReply', ['presence_query_reply']) },
    },
    revokeSession: op(
      'send',
      'revokedSessions',
      'The api ends a session (logout, DELETE /me/sessions/{id}, password change, refresh token reuse).',
    ),
    revokeUser: op('send', 'revokedUsers', 'The api deletes an account or cuts off its session-less tokens.'),
    announceBlocks: op('send', 'blocksChanged', 'The api announces block changes.'),
    deadLetter: op('send', 'deadLetters', 'The persister parks what it cannot write.'),
  };
}

/**
 * The AsyncAPI 3 document of the socket and the bus, built from the same typebox schemas the
 * services validate with: a frame or event added to `common` appears here by construction.
 */
export function buildAsyncApiDocument(): Record<string, unknown> {
  const sets = messageSets();
  const channels = channelsOf(sets);
  return {
    asyncapi: '3.0.0',
    info: { title: 'NeonChat WebSocket and bus', version: CONTRACT_VERSION, description: DESCRIPTION },
    defaultContentType: 'application/json',
    servers: {
      gateway: { host: 'localhost:8082', protocol: 'ws', pathname: '/ws', description: 'The gateway (GATEWAY_PORT).' },
      nats: { host: 'localhost:4222', protocol: 'nats', description: 'NATS with JetStream, between the services only.' },
    },
    channels,
    operations: operationsOf(channels, sets),
  };
}

function eventKey(type: string): string {
  return type.replace('.', '_');
}
