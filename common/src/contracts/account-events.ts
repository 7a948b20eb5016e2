import Type, { type Static } from 'typebox';
import { Uuid } from './canonical.js';

/**
 * Sessions and blocks as the services share them (issue 27).
 *
 *   KV bucket NEONCHAT_REVOKED   the revocation list: what the api ended, read by the api and
 *                                every gateway (a JetStream key/value bucket, so a restarted
 *                                service loads it whole before it serves). Entries expire after
 *                                the bucket's max age, which is at least the access tokens'
 *                                lifetime: past it, every token it could refuse has expired.
 *     s.{session_id}             `RevokedSession`: tokens with this `sid` are refused.
 *     u.{user_id}                `RevokedUser`: tokens of this user issued at or before `before`
 *                                are refused (all of them when `deleted`).
 *   account.blocks.changed       core NATS, `BlocksChangedEvent`: a user blocked or unblocked
 *                                another; gateways drop their block cache.
 */
export const REVOCATION_BUCKET = 'NEONCHAT_REVOKED';

export const ACCOUNT_SUBJECTS = {
  blocksChanged: 'account.blocks.changed',
} as const;

export const revokedSessionKey = (sessionId: string): string => `s.${sessionId}`;
export const revokedUserKey = (userId: string): string => `u.${userId}`;

export const RevokedSession = Type.Object(
  {
    user_id: Uuid,
    /** Unix seconds when it was ended. */
    at: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: true },
);
export type RevokedSession = Static<typeof RevokedSession>;

export const RevokedUser = Type.Object(
  {
    /** Tokens with `iat` at or before this (unix seconds) are refused. */
    before: Type.Integer({ minimum: 0 }),
    /** The account is deleted: every token of it is refused, whatever its `iat`. */
    deleted: Type.Boolean(),
  },
  { additionalProperties: true },
);
export type RevokedUser = Static<typeof RevokedUser>;

export const BlocksChangedEvent = Type.Object(
  {
    blocker_id: Uuid,
    blocked_id: Uuid,
    blocked: Type.Boolean(),
  },
  { additionalProperties: true },
);
export type BlocksChangedEvent = Static<typeof BlocksChangedEvent>;
