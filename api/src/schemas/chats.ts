import Type from 'typebox';
import { Message } from '@neonchat/common/contracts';
import { authedErrors, bearerSecurity, ChatIdParams, ChatName, ChatTypeName, ErrorBody, IsoTime, Role, Uuid } from './common.js';

/**
 * One body for both kinds: `{partner_id}` (1:1, the seed's) or `{type, name, member_ids}`.
 * Kept as one object rather than a union so a refusal names the field that is wrong.
 */
export const CreateChatBody = Type.Object(
  {
    partner_id: Type.Optional(Uuid),
    type: Type.Optional(ChatTypeName),
    name: Type.Optional(ChatName),
    member_ids: Type.Optional(Type.Array(Uuid, { maxItems: 200, uniqueItems: true })),
  },
  { additionalProperties: false },
);

const Partner = Type.Object({ id: Uuid, username: Type.String() });

export const ChatReply = Type.Object({
  id: Uuid,
  type: ChatTypeName,
  name: Type.Union([Type.String(), Type.Null()]),
  partner: Type.Union([Partner, Type.Null()]),
  created_at: IsoTime,
  updated_at: IsoTime,
});

export const createChatSchema = {
  tags: ['chats'],
  summary: 'Open a 1:1 chat (existing or new), or create a group or channel',
  security: bearerSecurity,
  body: CreateChatBody,
  response: { 200: ChatReply, 201: ChatReply, ...authedErrors, 409: ErrorBody },
};

export const ChatListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 10000, default: 0 }),
    unread_only: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export const ChatListItem = Type.Object({
  id: Uuid,
  type: ChatTypeName,
  name: Type.Union([Type.String(), Type.Null()]),
  partner: Type.Union([Type.Object({ id: Uuid, username: Type.String(), online: Type.Boolean() }), Type.Null()]),
  last_message: Type.Union([Type.Pick(Message, ['text', 'sender_id', 'created_at']), Type.Null()]),
  unread_count: Type.Integer({ minimum: 0 }),
  updated_at: IsoTime,
});

export const ChatListReply = Type.Object({ chats: Type.Array(ChatListItem), total: Type.Integer(), has_more: Type.Boolean() });

export const listChatsSchema = {
  tags: ['chats'],
  summary: "The caller's chats, most recent activity first",
  security: bearerSecurity,
  querystring: ChatListQuery,
  response: { 200: ChatListReply, ...authedErrors },
};

export const ChatDetailsReply = Type.Object({
  ...ChatReply.properties,
  members: Type.Array(Type.Object({ user_id: Uuid, username: Type.String(), role: Role })),
  my_role: Role,
});

export const chatDetailsSchema = {
  tags: ['chats'],
  summary: 'A chat with its members',
  security: bearerSecurity,
  params: ChatIdParams,
  response: { 200: ChatDetailsReply, ...authedErrors },
};

export const RenameBody = Type.Object({ name: ChatName }, { additionalProperties: false });

export const renameChatSchema = {
  tags: ['chats'],
  summary: 'Rename a group or channel (admins)',
  security: bearerSecurity,
  params: ChatIdParams,
  body: RenameBody,
  response: { 200: ChatReply, ...authedErrors },
};
