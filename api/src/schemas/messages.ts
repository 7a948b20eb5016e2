import Type from 'typebox';
import { MESSAGE_TEXT_MAX } from '@neonchat/common';
import { authedErrors, bearerSecurity, ChatIdParams, ChatMessageParams, ErrorBody, IsoTime, Uuid } from './common.js';

export const ApiMessage = Type.Object({
  id: Uuid,
  chat_id: Uuid,
  sender_id: Uuid,
  text: Type.String(),
  seq: Type.Integer(),
  created_at: IsoTime,
  updated_at: Type.Union([IsoTime, Type.Null()]),
});

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
