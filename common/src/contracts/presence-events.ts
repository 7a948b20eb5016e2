import Type, { type Static } from 'typebox';
import { PresenceStatus, Uuid } from './model.js';
import { compileValidator } from './validation.js';

/** Gateway → presence: a socket opened. Sent at once, core NATS. */
export const ConnectionOpenedReport = Type.Object({
  gateway_id: Type.String({ minLength: 1, maxLength: 200 }),
  connection_id: Type.String({ minLength: 1, maxLength: 200 }),
  user_id: Uuid,
  device_id: Type.Optional(Type.String({ maxLength: 200 })),
  at: Type.Integer({ description: 'unix ms' }),
});
export type ConnectionOpenedReport = Static<typeof ConnectionOpenedReport>;
export const connectionOpenedValidator = compileValidator(ConnectionOpenedReport);

/** Gateway → presence: a socket closed. */
export const ConnectionClosedReport = Type.Object({
  gateway_id: Type.String({ minLength: 1, maxLength: 200 }),
  connection_id: Type.String({ minLength: 1, maxLength: 200 }),
  user_id: Uuid,
  at: Type.Integer(),
});
export type ConnectionClosedReport = Static<typeof ConnectionClosedReport>;
export const connectionClosedValidator = compileValidator(ConnectionClosedReport);

/** Gateway → presence: every live connection of one gateway, in one batch, every ~20 s. */
export const HeartbeatReport = Type.Object({
  gateway_id: Type.String({ minLength: 1, maxLength: 200 }),
  connections: Type.Array(Type.Object({ connection_id: Type.String(), user_id: Uuid })),
  at: Type.Integer(),
});
export type HeartbeatReport = Static<typeof HeartbeatReport>;
export const heartbeatValidator = compileValidator(HeartbeatReport);

/** Gateway → presence: a client set itself away or back online. */
export const StatusReport = Type.Object({
  gateway_id: Type.String({ minLength: 1, maxLength: 200 }),
  connection_id: Type.String(),
  user_id: Uuid,
  status: Type.Union([Type.Literal('online'), Type.Literal('away')]),
  at: Type.Integer(),
});
export type StatusReport = Static<typeof StatusReport>;
export const statusReportValidator = compileValidator(StatusReport);

/** Presence → everyone, on `presence.changed.{userId}`: a real transition only. */
export const PresenceChangedEvent = Type.Object({
  type: Type.Literal('presence.changed'),
  user_id: Uuid,
  status: PresenceStatus,
  event: Type.Union([Type.Literal('user_online'), Type.Literal('user_offline'), Type.Literal('user_away')]),
  last_seen: Type.Integer({ description: 'unix ms' }),
  at: Type.Integer(),
});
export type PresenceChangedEvent = Static<typeof PresenceChangedEvent>;
export const presenceChangedValidator = compileValidator(PresenceChangedEvent);

/** Request on `presence.query`: many users, one Redis round trip. */
export const PresenceQuery = Type.Object({
  user_ids: Type.Array(Uuid, { maxItems: 20000 }),
});
export type PresenceQuery = Static<typeof PresenceQuery>;
export const presenceQueryValidator = compileValidator(PresenceQuery);

export const PresenceQueryReply = Type.Object({
  statuses: Type.Array(Type.Object({ user_id: Uuid, status: PresenceStatus, last_seen: Type.Union([Type.Integer(), Type.Null()]) })),
});
export type PresenceQueryReply = Static<typeof PresenceQueryReply>;
