import Type from 'typebox';
import { Emoji, MESSAGE_TEXT_MAX, Message, ReactionFrame } from '@neonchat/common/contracts';
import { authedErrors, bearerSecurity, ChatIdParams, ChatMessageParams, ErrorBody, Uuid } from './common.js';

/** The Message every client sees, from common: REST and WebSocket frames share the shape. */
export const ApiMessage = Message;

export const HistoryQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    before_id: Type.Optional(Uuid),
    after_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

export const HistoryReply = Type.Object({
  messages: Type.Array(ApiMessage),
  has_previous: Type.Boolean(),
  has_next: Type.Boolean(),
});

export const historySchema = {
  tags: ['messages'],
  summary: "A page of a chat's history, oldest first (keyset: before_id / after_id)",
  security: bearerSecurity,
  params: ChatIdParams,
  querystring: HistoryQuery,
  response: { 200: HistoryReply, ...authedErrors },
};

export const EditMessageBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: MESSAGE_TEXT_MAX, pattern: '\\S' }) },
  { additionalProperties: false },
);

export const editMessageSchema = {
  tags: ['messages'],
  summary: 'Edit your message (published on the chat stream)',
  security: bearerSecurity,
  params: ChatMessageParams,
  body: EditMessageBody,
  response: { 200: ApiMessage, ...authedErrors, 503: ErrorBody },
};

export const deleteMessageSchema = {
  tags: ['messages'],
  summary: 'Delete a message: your own, or anyone’s as an admin',
  security: bearerSecurity,
  params: ChatMessageParams,
  response: { 204: Type.Null(), ...authedErrors, 503: ErrorBody },
};

export const MarkReadBody = Type.Object({ message_id: Uuid }, { additionalProperties: false });

export const ReadMarkReply = Type.Object({
  chat_id: Uuid,
  message_id: Uuid,
  last_read_seq: Type.Integer(),
  unread_count: Type.Integer({ minimum: 0 }),
});

export const markReadSchema = {
  tags: ['messages'],
  summary: 'Move your read mark forward to a message',
  security: bearerSecurity,
  params: ChatIdParams,
  body: MarkReadBody,
  response: { 200: ReadMarkReply, ...authedErrors, 503: ErrorBody },
};

export const ReactionParams = Type.Object({ chat_id: Uuid, message_id: Uuid, emoji: Emoji });

/** What a `reaction` frame carries, minus its type: the change as stored at `seq`. */
export const ReactionChangeReply = Type.Omit(ReactionFrame, ['type']);

export const addReactionSchema = {
  tags: ['messages'],
  summary: 'Add your emoji reaction to a message (URL-encode the emoji)',
  security: bearerSecurity,
  params: ReactionParams,
  response: { 200: ReactionChangeReply, ...authedErrors, 503: ErrorBody },
};

export const removeReactionSchema = {
  tags: ['messages'],
  summary: 'Take back your emoji reaction on a message',
  security: bearerSecurity,
  params: ReactionParams,
  response: { 200: ReactionChangeReply, ...authedErrors, 503: ErrorBody },
};
