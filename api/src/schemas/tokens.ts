import Type from 'typebox';
import { IdOf } from './common.js';

/** The token fields of login, register and refresh answers. */
export const TokenFields = {
  token: Type.String({
    description:
      'The access token (HS256 JWT with `kid` and `sid`): `Authorization: Bearer <token>` on REST, `?token=` or the header on the WebSocket',
  }),
  access_token: Type.String({ description: 'The same access token as `token`' }),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires (JWT_TTL_S, 900 by default)', examples: [900] }),
  refresh_token: Type.String({
    description: 'Opaque, single use: `POST /auth/refresh` trades it for new tokens. Using one twice ends the session.',
  }),
  refresh_expires_in: Type.Integer({ description: 'Seconds the refresh token stays usable unless used', examples: [2592000] }),
  session_id: IdOf('the session these tokens belong to'),
};
