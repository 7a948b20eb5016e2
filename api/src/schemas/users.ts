import Type from 'typebox';
import { authedErrors, bearerSecurity, IsoTime, Uuid } from './common.js';

export const UserSearchQuery = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 50 }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 10000, default: 0 }),
  },
  { additionalProperties: false },
);

export const PublicUser = Type.Object({
  id: Uuid,
  username: Type.String(),
  online: Type.Boolean(),
  last_seen: Type.Union([IsoTime, Type.Null()]),
});

export const UserSearchReply = Type.Object({ users: Type.Array(PublicUser), has_more: Type.Boolean() });

export const userSearchSchema = {
  tags: ['users'],
  summary: 'Find people by username prefix',
  security: bearerSecurity,
  querystring: UserSearchQuery,
  response: { 200: UserSearchReply, ...authedErrors },
};

export const MeReply = Type.Object({
  id: Uuid,
  username: Type.String(),
  phone: Type.Union([Type.String(), Type.Null()]),
  created_at: IsoTime,
});

export const meSchema = {
  tags: ['auth'],
  summary: 'The caller',
  security: bearerSecurity,
  response: { 200: MeReply, ...authedErrors },
};
