import Type from 'typebox';
import { AUTHED, described, errorResponses } from '../openapi/error-responses.js';
import { bearerSecurity, IdOf, IsoTime, UserName } from './common.js';

export const UserSearchQuery = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 50, description: 'Username prefix, case-insensitive', examples: ['al'] }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' }),
    offset: Type.Integer({ minimum: 0, maximum: 10000, default: 0, description: 'Users to skip' }),
  },
  { additionalProperties: false },
);

export const PublicUser = Type.Object({
  id: IdOf('the user'),
  username: UserName,
  online: Type.Boolean({ description: 'Has a live connection now (offline when presence is slow to answer)' }),
  last_seen: Type.Union([IsoTime, Type.Null()], { description: 'When last seen online; null if never' }),
});

export const UserSearchReply = Type.Object({
  users: Type.Array(PublicUser, { description: 'Matching users, by username' }),
  has_more: Type.Boolean({ description: 'More users match past this page' }),
});

export const userSearchSchema = {
  tags: ['users'],
  summary: 'Find people by username prefix',
  security: bearerSecurity,
  querystring: UserSearchQuery,
  response: { 200: described(UserSearchReply, 'Matching users'), ...errorResponses(...AUTHED) },
};

export const MeReply = Type.Object({
  id: IdOf('the caller'),
  username: UserName,
  phone: Type.Union([Type.String(), Type.Null()], { description: 'Phone given at registration; null if none' }),
  created_at: IsoTime,
});

export const meSchema = {
  tags: ['auth'],
  summary: 'The caller',
  security: bearerSecurity,
  response: { 200: described(MeReply, 'The caller'), ...errorResponses(...AUTHED) },
};
