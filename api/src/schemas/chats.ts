import Type from 'typebox';
import { Message } from '@neonchat/common/contracts';
import { AUTHED, described, errorResponses, WITH_BODY } from '../openapi/error-responses.js';
import { bearerSecurity, ChatIdParams, ChatName, ChatTypeName, IdOf, IsoTime, OthersReadSeq, Role, UserName } from './common.js';

/**
 * One body for both kinds: `{partner_id}` (1:1, the seed's) or `{type, name, member_ids}`.
 * Kept as one object rather than a union so a refusal names the field that is wrong.
 */
export const CreateChatBody = Type.Object(
  {
    partner_id: Type.Optional(IdOf('the other user, for a 1:1 chat (give nothing else)')),
    type: Type.Optional(
      Type.Union([Type.Literal('direct'), Type.Literal('group'), Type.Literal('channel')], {
        description: '`group` or `channel` with `name`; omit for 1:1',
      }),
    ),
    name: Type.Optional(ChatName),
    member_ids: Type.Optional(
      Type.Array(IdOf('a user to add as member'), {
        maxItems: 200,
        uniqueItems: true,
        description: 'Members besides the creator, who becomes admin',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ partner_id: '0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b' }, { type: 'group', name: 'Team', member_ids: [] }],
  },
);

const Partner = Type.Object({ id: IdOf('the other user'), username: UserName });

export const ChatReply = Type.Object({
  id: IdOf('the chat'),
  type: ChatTypeName,
  name: Type.Union([Type.String(), Type.Null()], { description: 'Null for 1:1 chats' }),
  partner: Type.Union([Partner, Type.Null()], { description: 'The other user of a 1:1 chat; null for groups and channels' }),
  created_at: IsoTime,
  updated_at: IsoTime,
});

export const createChatSchema = {
  tags: ['chats'],
  summary: 'Open a 1:1 chat (existing or new), or create a group or channel',
  description: 'A 1:1 chat with the same partner is answered 200 with the existing chat; a new chat is 201.',
  security: bearerSecurity,
  body: CreateChatBody,
  response: {
    200: described(ChatReply, 'The existing 1:1 chat with that partner'),
    201: described(ChatReply, 'A new chat'),
    ...errorResponses(...AUTHED, ...WITH_BODY, 'not_found'),
  },
};

export const ChatListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' }),
    offset: Type.Integer({ minimum: 0, maximum: 10000, default: 0, description: 'Chats to skip' }),
    unread_only: Type.Boolean({ default: false, description: 'Only chats with unread messages' }),
  },
  { additionalProperties: false },
);

export const ChatListItem = Type.Object({
  id: IdOf('the chat'),
  type: ChatTypeName,
  name: Type.Union([Type.String(), Type.Null()], { description: 'Null for 1:1 chats' }),
  partner: Type.Union(
    [
      Type.Object({ id: IdOf('the other user'), username: UserName, online: Type.Boolean({ description: 'Has a live connection now' }) }),
      Type.Null(),
    ],
    {
      description: 'The other user of a 1:1 chat; null for groups and channels',
    },
  ),
  last_message: Type.Union([Type.Pick(Message, ['id', 'text', 'sender_id', 'created_at']), Type.Null()], {
    description: 'The newest message; null if none. `id` tells a client which message a live edit or delete of the preview is about',
  }),
  unread_count: Type.Integer({ minimum: 0, description: "Messages after the caller's read mark" }),
  others_read_seq: OthersReadSeq,
  mention_count: Type.Integer({ minimum: 0, description: "Messages after the caller's read mark that mention the caller (@username)" }),
  updated_at: IsoTime,
});

export const ChatListReply = Type.Object({
  chats: Type.Array(ChatListItem, { description: 'Most recent activity first' }),
  total: Type.Integer({ description: 'Chats matching, over all pages' }),
  has_more: Type.Boolean({ description: 'More chats past this page' }),
});

export const listChatsSchema = {
  tags: ['chats'],
  summary: "The caller's chats, most recent activity first",
  security: bearerSecurity,
  querystring: ChatListQuery,
  response: { 200: described(ChatListReply, 'A page of chats'), ...errorResponses(...AUTHED) },
};

export const ChatDetailsReply = Type.Object({
  ...ChatReply.properties,
  members: Type.Array(Type.Object({ user_id: IdOf('a member'), username: UserName, role: Role }), { description: 'Active members' }),
  my_role: Role,
});

export const chatDetailsSchema = {
  tags: ['chats'],
  summary: 'A chat with its members',
  security: bearerSecurity,
  params: ChatIdParams,
  response: { 200: described(ChatDetailsReply, 'The chat and its active members'), ...errorResponses(...AUTHED, 'not_found') },
};

export const RenameBody = Type.Object({ name: ChatName }, { additionalProperties: false });

export const renameChatSchema = {
  tags: ['chats'],
  summary: 'Rename a group or channel (admins)',
  security: bearerSecurity,
  params: ChatIdParams,
  body: RenameBody,
  response: { 200: described(ChatReply, 'Renamed'), ...errorResponses(...AUTHED, ...WITH_BODY, 'forbidden', 'not_found') },
};
