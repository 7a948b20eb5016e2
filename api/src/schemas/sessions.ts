import Type from 'typebox';
import { AUTHED, described, errorResponses, WITH_BODY } from '../openapi/error-responses.js';
import { bearerSecurity, IdOf, IsoTime, UserName } from './common.js';
import { Password } from './auth.js';
import { TokenFields } from './tokens.js';

const RefreshToken = Type.String({ minLength: 1, maxLength: 128, description: 'The refresh token last received' });

export const RefreshBody = Type.Object({ refresh_token: RefreshToken }, { additionalProperties: false });
export const TokenReply = Type.Object(
  { ...TokenFields, user: Type.Object({ id: IdOf('the user'), username: UserName }, { description: 'Who the tokens are for' }) },
  { description: 'New tokens; the refresh token presented is spent' },
);

export const refreshSchema = {
  tags: ['auth'],
  summary: 'Trade a refresh token for new tokens (rotation)',
  description:
    'The refresh token presented is spent and a new one returned. Presenting a spent one again ends the whole session (its sockets close with 4004): a token used twice was stolen or replayed.',
  security: [],
  body: RefreshBody,
  response: {
    200: described(TokenReply, 'New tokens'),
    ...errorResponses('validation_failed', 'unauthorized', 'rate_limited', ...WITH_BODY),
  },
};

const NoContent = Type.Null({ description: 'Done' });

export const logoutSchema = {
  tags: ['sessions'],
  summary: 'End this session',
  description: "Ends the access token's session: its refresh token is refused and its sockets on every gateway close with 4004.",
  security: bearerSecurity,
  response: { 204: NoContent, ...errorResponses(...AUTHED) },
};

export const SessionView = Type.Object({
  id: IdOf('the session'),
  user_agent: Type.String({ description: 'User-Agent of the last login or refresh (bounded, control characters removed)' }),
  ip: Type.String({ description: 'Address of the last login or refresh' }),
  created_at: IsoTime,
  last_used_at: IsoTime,
  current: Type.Boolean({ description: "The session of the caller's token" }),
});

export const SessionList = Type.Object({ sessions: Type.Array(SessionView, { description: 'Open sessions, newest first' }) });

export const sessionListSchema = {
  tags: ['sessions'],
  summary: 'My open sessions',
  security: bearerSecurity,
  response: { 200: described(SessionList, 'Open sessions'), ...errorResponses(...AUTHED) },
};

export const SessionParams = Type.Object({ id: IdOf('a session of the caller') }, { additionalProperties: false });

export const endSessionSchema = {
  tags: ['sessions'],
  summary: 'End one of my sessions',
  description: "Another user's session, an ended one or an unknown id is 404 alike.",
  security: bearerSecurity,
  params: SessionParams,
  response: { 204: NoContent, ...errorResponses(...AUTHED, 'not_found') },
};

export const EndedReply = Type.Object({ ended_sessions: Type.Integer({ minimum: 0, description: 'Sessions ended' }) });

export const endOtherSessionsSchema = {
  tags: ['sessions'],
  summary: 'Log out everywhere else',
  description: "Ends every session of the caller but the token's own.",
  security: bearerSecurity,
  response: { 200: described(EndedReply, 'The other sessions ended'), ...errorResponses(...AUTHED) },
};

export const PasswordChangeBody = Type.Object(
  { old_password: Type.String({ minLength: 1, maxLength: 72, description: 'The current password' }), new_password: Password },
  { additionalProperties: false },
);

export const passwordChangeSchema = {
  tags: ['sessions'],
  summary: 'Change my password',
  description: 'The old password is required (a wrong one is 403). Every other session ends.',
  security: bearerSecurity,
  body: PasswordChangeBody,
  response: { 200: described(EndedReply, 'Changed; the other sessions ended'), ...errorResponses(...AUTHED, 'forbidden', ...WITH_BODY) },
};

export const DeleteAccountBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 72, description: 'The current password' }) },
  { additionalProperties: false },
);

export const deleteAccountSchema = {
  tags: ['sessions'],
  summary: 'Delete my account',
  description:
    'The password is required (a wrong one is 403). Every session ends, the username is freed, phone and password are erased and the account leaves search. Messages stay readable for the others, their author shown with the username `deleted:{id}`.',
  security: bearerSecurity,
  body: DeleteAccountBody,
  response: { 204: NoContent, ...errorResponses(...AUTHED, 'forbidden', ...WITH_BODY) },
};

export const BlockParams = Type.Object({ user_id: IdOf('the user') }, { additionalProperties: false });

export const BlockedUser = Type.Object({ id: IdOf('the blocked user'), username: UserName, blocked_at: IsoTime });
export const BlockList = Type.Object({ users: Type.Array(BlockedUser, { description: 'Blocked users, newest first' }) });

export const blockSchema = {
  tags: ['blocks'],
  summary: 'Block a user',
  description:
    'They can no longer open a new 1:1 chat with you, write or react in your 1:1 chat (403 / `forbidden` error frame) nor find you in search. Group chats are unaffected. Idempotent.',
  security: bearerSecurity,
  params: BlockParams,
  response: { 204: NoContent, ...errorResponses(...AUTHED, 'not_found') },
};

export const unblockSchema = {
  tags: ['blocks'],
  summary: 'Unblock a user',
  description: 'Idempotent.',
  security: bearerSecurity,
  params: BlockParams,
  response: { 204: NoContent, ...errorResponses(...AUTHED) },
};

export const blockListSchema = {
  tags: ['blocks'],
  summary: 'Users I blocked',
  security: bearerSecurity,
  response: { 200: described(BlockList, 'Blocked users'), ...errorResponses(...AUTHED) },
};
