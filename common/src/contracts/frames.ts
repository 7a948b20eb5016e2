import Type, { type Static } from 'typebox';
import { MESSAGE_ATTACHMENTS_MAX, MESSAGE_TEXT_MAX, Message, Uuid } from './model.js';
import { ChatReadEvent, MembershipChangedEvent, MessageDeletedEvent, MessageUpdatedEvent, ReactionEvent } from './chat-events.js';
import { PresenceChangedEvent } from './presence-events.js';
import type { ErrorCode } from './error-codes.js';
import { compileValidator } from './validation.js';

/**
 * WebSocket frames, both directions, one JSON object per text frame with a `type`.
 * Client frames are validated on arrival against these schemas and then dispatched by `type`.
 */
/**
 * Printable ASCII without spaces: it goes into the `Nats-Msg-Id` header, where a newline or a
 * control character would make the publish fail for good (a retry could never succeed).
 */
export const REQUEST_ID_PATTERN = '^[!-~]+$';
const RequestId = Type.String({ minLength: 1, maxLength: 128, pattern: REQUEST_ID_PATTERN });
const REQUEST_ID_RE = new RegExp(REQUEST_ID_PATTERN);

/** A client's `request_id` if it is valid, to echo in an `error` frame; anything else is not echoed. */
export function echoableRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && value.length >= 1 && value.length <= 128 && REQUEST_ID_RE.test(value) ? value : undefined;
}

// ── client → server ─────────────────────────────────────────────────────────────────────────

export const SendMessageFrame = Type.Object({
  type: Type.Literal('message'),
  chat_id: Uuid,
  /** 1–4096 characters, not all blank; or empty (`""`) when the message has attachments. */
  text: Type.String({ maxLength: MESSAGE_TEXT_MAX, pattern: '^$|\\S' }),
  request_id: RequestId,
  /** Completed uploads of the sender (`POST /uploads`), shown in this order; each one on one message only. */
  attachments: Type.Optional(
    Type.Array(Uuid, { minItems: 1, maxItems: MESSAGE_ATTACHMENTS_MAX, uniqueItems: true, description: 'Upload ids' }),
  ),
  /**
   * The message this one answers: a message of the same chat, stored or just acked. Another
   * chat's message or none at all is `not_found` (field `reply_to`); a deleted one is answered
   * with a preview saying so.
   */
  reply_to: Type.Optional({ ...Uuid, description: 'Id of a message of the same chat this one answers' }),
});
export type SendMessageFrame = Static<typeof SendMessageFrame>;

export const TypingFrame = Type.Object({
  type: Type.Literal('typing'),
  chat_id: Uuid,
  is_typing: Type.Boolean(),
});
export type TypingFrame = Static<typeof TypingFrame>;

/** Open a chat: the server answers with its last messages (`history`) and then live ones. */
export const OpenChatFrame = Type.Object({
  type: Type.Literal('open'),
  chat_id: Uuid,
  request_id: Type.Optional(RequestId),
});
export type OpenChatFrame = Static<typeof OpenChatFrame>;

/** After a reconnect: everything after the last message seen (by seq, or by id). */
export const ResumeFrame = Type.Object({
  type: Type.Literal('resume'),
  chat_id: Uuid,
  after_seq: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  after_id: Type.Optional(Uuid),
  request_id: Type.Optional(RequestId),
});
export type ResumeFrame = Static<typeof ResumeFrame>;

export const PingFrame = Type.Object({
  type: Type.Literal('ping'),
  request_id: Type.Optional(RequestId),
});
export type PingFrame = Static<typeof PingFrame>;

export const SetPresenceFrame = Type.Object({
  type: Type.Literal('presence'),
  status: Type.Union([Type.Literal('online'), Type.Literal('away')]),
});
export type SetPresenceFrame = Static<typeof SetPresenceFrame>;

const ReactionOp = Type.Union([Type.Literal('add'), Type.Literal('remove')]);

/**
 * Add or take back an emoji reaction on a stored message. Answered `reaction_saved` once the
 * stream has it; every member (the sender's sockets included) then gets a `reaction` frame.
 */
export const ReactFrame = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('react') }),
    Type.Pick(ReactionEvent, ['chat_id', 'message_id', 'emoji']),
    Type.Object({ op: ReactionOp, request_id: RequestId }),
  ]),
);
export type ReactFrame = Static<typeof ReactFrame>;

export const CLIENT_FRAME_SCHEMAS = {
  message: SendMessageFrame,
  typing: TypingFrame,
  open: OpenChatFrame,
  resume: ResumeFrame,
  ping: PingFrame,
  presence: SetPresenceFrame,
  react: ReactFrame,
} as const;
export type ClientFrameType = keyof typeof CLIENT_FRAME_SCHEMAS;
export type ClientFrame = { [K in ClientFrameType]: Static<(typeof CLIENT_FRAME_SCHEMAS)[K]> }[ClientFrameType];
export type ClientFrameOf<K extends ClientFrameType> = Static<(typeof CLIENT_FRAME_SCHEMAS)[K]>;

export const clientFrameValidators = {
  message: compileValidator(SendMessageFrame),
  typing: compileValidator(TypingFrame),
  open: compileValidator(OpenChatFrame),
  resume: compileValidator(ResumeFrame),
  ping: compileValidator(PingFrame),
  presence: compileValidator(SetPresenceFrame),
  react: compileValidator(ReactFrame),
} as const;

export function isClientFrameType(type: unknown): type is ClientFrameType {
  return typeof type === 'string' && Object.hasOwn(CLIENT_FRAME_SCHEMAS, type);
}

// ── server → client ─────────────────────────────────────────────────────────────────────────

export const MessageSentFrame = Type.Object({
  type: Type.Literal('message_sent'),
  request_id: RequestId,
  status: Type.Literal('delivered'),
  message: Message,
});
export type MessageSentFrame = Static<typeof MessageSentFrame>;

export const NewMessageFrame = Type.Object({ type: Type.Literal('new_message'), message: Message });
export type NewMessageFrame = Static<typeof NewMessageFrame>;

/**
 * The frames of stored events: the event's own fields (declared once, in chat-events.ts), the
 * changed message as `message_id`, and `seq`, the event's own stream position.
 */
const OfStoredChange = Type.Object({ message_id: Uuid, seq: Type.Integer({ description: "The change's own stream position" }) });

/** An edit: the new text of message `message_id`. */
export const MessageUpdatedFrame = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('message_updated') }),
    Type.Pick(MessageUpdatedEvent, ['chat_id', 'text', 'updated_at']),
    OfStoredChange,
  ]),
);
export type MessageUpdatedFrame = Static<typeof MessageUpdatedFrame>;

export const MessageDeletedFrame = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('message_deleted') }),
    Type.Pick(MessageDeletedEvent, ['chat_id', 'deleted_at']),
    OfStoredChange,
  ]),
);
export type MessageDeletedFrame = Static<typeof MessageDeletedFrame>;

/** A member's read mark: `seq` is the position of the message read up to (the event's own). */
export const ReadFrame = Type.Evaluate(
  Type.Intersect([Type.Object({ type: Type.Literal('read') }), Type.Omit(ChatReadEvent, ['type', 'read_at'])]),
);
export type ReadFrame = Static<typeof ReadFrame>;

/** A reaction added or taken back (`op`). */
export const ReactionFrame = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('reaction'), op: ReactionOp }),
    Type.Omit(ReactionEvent, ['type']),
    Type.Pick(OfStoredChange, ['seq']),
  ]),
);
export type ReactionFrame = Static<typeof ReactionFrame>;

/** The stream stored a `react` of this socket (a resend with the same request_id is stored once). */
export const ReactionSavedFrame = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('reaction_saved') }),
    Type.Pick(ReactFrame, ['request_id']),
    Type.Pick(OfStoredChange, ['seq']),
  ]),
);
export type ReactionSavedFrame = Static<typeof ReactionSavedFrame>;

/** A member's `typing` as the others get it: who is typing added. */
export const TypingEventFrame = Type.Evaluate(Type.Intersect([TypingFrame, Type.Object({ user_id: Uuid })]));
export type TypingEventFrame = Static<typeof TypingEventFrame>;

export const PresenceEventFrame = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('presence') }),
    Type.Pick(PresenceChangedEvent, ['event', 'user_id']),
    Type.Object({ timestamp: Type.Integer({ description: 'Unix seconds, as in the seed spec' }) }),
  ]),
);
export type PresenceEventFrame = Static<typeof PresenceEventFrame>;

/** How the socket's user's membership of a chat changed (issue 28). */
export const MembershipEventType = Type.Union([Type.Literal('chat_added'), Type.Literal('chat_removed'), Type.Literal('role_changed')]);

/**
 * The socket's own user was added to a chat (`chat_added`: the socket follows it from now on),
 * removed or banned from one (`chat_removed`: nothing of it comes any more; `status` says which),
 * or given another role in one (`role_changed`). Sent to every socket of that user, on every
 * gateway, once the api has committed the change; the fields are those of the api's
 * `membership.changed` announcement.
 */
export const MembershipFrame = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('membership'), event: MembershipEventType }),
    Type.Pick(MembershipChangedEvent, ['chat_id', 'chat_type', 'role', 'status', 'at']),
  ]),
);
export type MembershipFrame = Static<typeof MembershipFrame>;

/** What answers an `open` or a `resume` echoes of it. */
const AnswerTo = Type.Pick(OpenChatFrame, ['chat_id', 'request_id']);

/** Answer to `open` (and to `?chat_id=`): the newest messages, oldest first. */
export const HistoryFrame = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('history') }),
    AnswerTo,
    Type.Object({ messages: Type.Array(Message), has_previous: Type.Boolean() }),
  ]),
);
export type HistoryFrame = Static<typeof HistoryFrame>;

/** Sent after the missed messages of a `resume`: live ones follow. */
export const ResumedFrame = Type.Evaluate(
  Type.Intersect([
    Type.Object({ type: Type.Literal('resumed') }),
    AnswerTo,
    Type.Object({ count: Type.Integer(), last_seq: Type.Integer() }),
  ]),
);
export type ResumedFrame = Static<typeof ResumedFrame>;

export const PongFrame = Type.Evaluate(Type.Intersect([Type.Object({ type: Type.Literal('pong') }), Type.Pick(PingFrame, ['request_id'])]));
export type PongFrame = Static<typeof PongFrame>;

/** First frame on every socket: who you are and which chats this socket follows. */
export const ReadyFrame = Type.Object({
  type: Type.Literal('ready'),
  user_id: Uuid,
  connection_id: Type.String(),
  chat_ids: Type.Array(Uuid),
});
export type ReadyFrame = Static<typeof ReadyFrame>;

export const ErrorFrame = Type.Object({
  type: Type.Literal('error'),
  request_id: Type.Optional(Type.String()),
  code: Type.String(),
  message: Type.String(),
});
export type ErrorFrame = Static<typeof ErrorFrame> & { code: ErrorCode };

// ── gap marker (issue 26): a stored event a gateway could not show ──────────────────────────
/**
 * In place of the stored event at `seq` of the chat, which this gateway cannot decode (an event
 * type written by a newer version during a rolling deploy, or a damaged one): skipped, in
 * stream order, on the live path and in a `resume` replay alike. The client may note the gap
 * and go on; `seq` counts as seen for a later `resume`.
 */
export const GapFrame = Type.Object({
  type: Type.Literal('gap'),
  chat_id: Uuid,
  seq: Type.Integer(),
  reason: Type.Literal('unsupported_event'),
});
export type GapFrame = Static<typeof GapFrame>;

export type ServerFrame =
  | MessageSentFrame
  | NewMessageFrame
  | MessageUpdatedFrame
  | MessageDeletedFrame
  | ReadFrame
  | ReactionFrame
  | ReactionSavedFrame
  | TypingEventFrame
  | PresenceEventFrame
  | MembershipFrame
  | HistoryFrame
  | ResumedFrame
  | PongFrame
  | ReadyFrame
  | ErrorFrame
  | GapFrame;
