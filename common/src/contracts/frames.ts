import Type, { type Static } from 'typebox';
import { Emoji, MESSAGE_TEXT_MAX, Message, Timestamp, Uuid } from './model.js';
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
  /** 1–4096 characters after trimming. */
  text: Type.String({ minLength: 1, maxLength: MESSAGE_TEXT_MAX, pattern: '\\S' }),
  request_id: RequestId,
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
export const ReactFrame = Type.Object({
  type: Type.Literal('react'),
  chat_id: Uuid,
  message_id: Uuid,
  emoji: Emoji,
  op: ReactionOp,
  request_id: RequestId,
});
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

/** An edit: the new text of message `message_id`; `seq` is the edit's own stream position. */
export const MessageUpdatedFrame = Type.Object({
  type: Type.Literal('message_updated'),
  chat_id: Uuid,
  message_id: Uuid,
  text: Type.String(),
  updated_at: Timestamp,
  seq: Type.Integer(),
});
export type MessageUpdatedFrame = Static<typeof MessageUpdatedFrame>;

export const MessageDeletedFrame = Type.Object({
  type: Type.Literal('message_deleted'),
  chat_id: Uuid,
  message_id: Uuid,
  /** The delete's own stream position. */
  seq: Type.Integer(),
  deleted_at: Timestamp,
});
export type MessageDeletedFrame = Static<typeof MessageDeletedFrame>;

export const ReadFrame = Type.Object({
  type: Type.Literal('read'),
  chat_id: Uuid,
  user_id: Uuid,
  message_id: Uuid,
  seq: Type.Integer(),
});
export type ReadFrame = Static<typeof ReadFrame>;

/** A reaction added or taken back; `seq` is the change's own stream position. */
export const ReactionFrame = Type.Object({
  type: Type.Literal('reaction'),
  op: ReactionOp,
  chat_id: Uuid,
  message_id: Uuid,
  user_id: Uuid,
  emoji: Emoji,
  seq: Type.Integer(),
  at: Timestamp,
});
export type ReactionFrame = Static<typeof ReactionFrame>;

/** The stream stored a `react` of this socket (a resend with the same request_id is stored once). */
export const ReactionSavedFrame = Type.Object({
  type: Type.Literal('reaction_saved'),
  request_id: RequestId,
  seq: Type.Integer(),
});
export type ReactionSavedFrame = Static<typeof ReactionSavedFrame>;

export const TypingEventFrame = Type.Object({
  type: Type.Literal('typing'),
  user_id: Uuid,
  chat_id: Uuid,
  is_typing: Type.Boolean(),
});
export type TypingEventFrame = Static<typeof TypingEventFrame>;

export const PresenceEventFrame = Type.Object({
  type: Type.Literal('presence'),
  event: Type.Union([Type.Literal('user_online'), Type.Literal('user_offline'), Type.Literal('user_away')]),
  user_id: Uuid,
  /** Unix seconds, as in the seed spec. */
  timestamp: Type.Integer(),
});
export type PresenceEventFrame = Static<typeof PresenceEventFrame>;

/** Answer to `open` (and to `?chat_id=`): the newest messages, oldest first. */
export const HistoryFrame = Type.Object({
  type: Type.Literal('history'),
  chat_id: Uuid,
  request_id: Type.Optional(RequestId),
  messages: Type.Array(Message),
  has_previous: Type.Boolean(),
});
export type HistoryFrame = Static<typeof HistoryFrame>;

/** Sent after the missed messages of a `resume`: live ones follow. */
export const ResumedFrame = Type.Object({
  type: Type.Literal('resumed'),
  chat_id: Uuid,
  request_id: Type.Optional(RequestId),
  count: Type.Integer(),
  last_seq: Type.Integer(),
});
export type ResumedFrame = Static<typeof ResumedFrame>;

export const PongFrame = Type.Object({ type: Type.Literal('pong'), request_id: Type.Optional(RequestId) });
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
  | HistoryFrame
  | ResumedFrame
  | PongFrame
  | ReadyFrame
  | ErrorFrame;
