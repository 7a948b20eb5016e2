import Type from 'typebox';
import { authedErrors, ChatIdParams, ErrorBody } from './common.js';

export const CreateDirectChatBody = Type.Object({ partner_id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export const ChatReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  partner: Type.Union([Type.Object({ id: Type.String(), username: Type.String() }), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const createChatSchema = {
  tags: ['chats'],
  body: CreateDirectChatBody,
  response: { 200: ChatReply, 201: ChatReply, ...authedErrors, 409: ErrorBody },
};

export const ApiMessage = Type.Object({
  id: Type.String({ format: 'uuid' }),
  chat_id: Type.String({ format: 'uuid' }),
  sender_id: Type.String({ format: 'uuid' }),
  text: Type.String(),
  seq: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const HistoryQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    before_id: Type.Optional(Type.String({ format: 'uuid' })),
    after_id: Type.Optional(Type.String({ format: 'uuid' })),
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
  params: ChatIdParams,
  querystring: HistoryQuery,
  response: { 200: HistoryReply, ...authedErrors },
};
