import Type from 'typebox';
import { AUTHED, described, errorResponses, WITH_BODY } from '../openapi/error-responses.js';
import { bearerSecurity, ChatIdParams, ChatMemberParams, IdOf, Role } from './common.js';

export const MemberReply = Type.Object(
  {
    chat_id: IdOf('the chat'),
    user_id: IdOf('the user'),
    role: Role,
    status: Type.Union([Type.Literal('active'), Type.Literal('banned'), Type.Literal('left')], {
      description: '`active`: reads and posts; `banned`: refused until unbanned; `left`: removed or left, may be added again',
    }),
  },
  { description: 'The membership after the change (announced to gateways as `membership.changed`)' },
);

const memberErrors = errorResponses(...AUTHED, 'forbidden', 'not_found', 'conflict');

export const AddMemberBody = Type.Object(
  { user_id: IdOf('the user to add'), role: Type.Optional({ ...Role, description: '`member` unless told' }) },
  { additionalProperties: false },
);

export const addMemberSchema = {
  tags: ['members'],
  summary: 'Add a member (admins); adding an existing member changes nothing',
  description: 'A banned user is refused (409): unban first. Someone who left or was removed is added back.',
  security: bearerSecurity,
  params: ChatIdParams,
  body: AddMemberBody,
  response: {
    200: described(MemberReply, 'Already an active member: nothing changed'),
    201: described(MemberReply, 'Added (or added back)'),
    ...memberErrors,
    ...errorResponses(...WITH_BODY),
  },
};

export const ChangeRoleBody = Type.Object({ role: Role }, { additionalProperties: false });

export const changeRoleSchema = {
  tags: ['members'],
  summary: "Change a member's role (admins)",
  description: 'A group keeps at least one admin: demoting the last one is 409.',
  security: bearerSecurity,
  params: ChatMemberParams,
  body: ChangeRoleBody,
  response: { 200: described(MemberReply, 'The membership after the change'), ...memberErrors, ...errorResponses(...WITH_BODY) },
};

/** What each member action means, said once for the documents and the tests' readers. */
export const MEMBER_ACTIONS = {
  remove: {
    summary: 'Remove a member (admins), or yourself',
    description:
      'The member becomes `left` (role `member`): the chat disappears from their list, their sockets stop receiving it, and an admin may add them back. Removing yourself is leaving. Not in 1:1 chats.',
  },
  ban: {
    summary: 'Ban a user from the chat (admins)',
    description:
      'The user becomes `banned` (a non-member too, so they cannot be added by mistake): no reading, no posting, adding them is 409. Banning again changes nothing; banning yourself is 400.',
  },
  unban: {
    summary: 'Lift a ban (admins): the user is readmitted as a member',
    description:
      'The user becomes an `active` member (role `member`) at once and may read and post again; their sockets are told by `membership.changed`. Unbanning someone not banned changes nothing; someone never banned nor a member is 404.',
  },
} as const;

export const memberActionSchema = (action: keyof typeof MEMBER_ACTIONS) => ({
  tags: ['members'],
  ...MEMBER_ACTIONS[action],
  security: bearerSecurity,
  params: ChatMemberParams,
  response: { 200: described(MemberReply, 'The membership after the change (unchanged if there was nothing to do)'), ...memberErrors },
});

export const leaveChatSchema = {
  tags: ['members'],
  summary: 'Leave a group or channel',
  description:
    'Same as removing yourself: you become `left` and may be added back. The last admin of a group with other members must promote someone first (409).',
  security: bearerSecurity,
  params: ChatIdParams,
  response: { 200: described(MemberReply, 'Your membership, now `left`'), ...memberErrors },
};
