import Type from 'typebox';
import { authedErrors, bearerSecurity, ChatIdParams, ChatMemberParams, ErrorBody, Role, Uuid } from './common.js';

export const MemberReply = Type.Object({
  chat_id: Uuid,
  user_id: Uuid,
  role: Role,
  status: Type.Union([Type.Literal('active'), Type.Literal('banned'), Type.Literal('left')]),
});

const memberErrors = { ...authedErrors, 409: ErrorBody };

export const AddMemberBody = Type.Object({ user_id: Uuid, role: Type.Optional(Role) }, { additionalProperties: false });

export const addMemberSchema = {
  tags: ['members'],
  summary: 'Add a member (admins); adding an existing member changes nothing',
  security: bearerSecurity,
  params: ChatIdParams,
  body: AddMemberBody,
  response: { 200: MemberReply, 201: MemberReply, ...memberErrors },
};

export const ChangeRoleBody = Type.Object({ role: Role }, { additionalProperties: false });

export const changeRoleSchema = {
  tags: ['members'],
  summary: "Change a member's role (admins)",
  security: bearerSecurity,
  params: ChatMemberParams,
  body: ChangeRoleBody,
  response: { 200: MemberReply, ...memberErrors },
};

export const memberActionSchema = (summary: string) => ({
  tags: ['members'],
  summary,
  security: bearerSecurity,
  params: ChatMemberParams,
  response: { 200: MemberReply, ...memberErrors },
});

export const leaveChatSchema = {
  tags: ['members'],
  summary: 'Leave a group or channel',
  security: bearerSecurity,
  params: ChatIdParams,
  response: { 200: MemberReply, ...memberErrors },
};
