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

/**
 * Gateway → presence: the live connections of one gateway, every ~20 s. A gateway with many
 * sockets splits them over several reports (`heartbeatReports`; a NATS message is at most 1 MiB
 * by default, about 8,000 connections): each report refreshes only the connections it lists,
 * and a connection left out of every report for the presence TTL is dropped. Sent as a
 * request, it is answered with a HeartbeatAck once applied.
 */
export const HeartbeatReport = Type.Object({
  gateway_id: Type.String({ minLength: 1, maxLength: 200 }),
  connections: Type.Array(Type.Object({ connection_id: Type.String(), user_id: Uuid })),
  at: Type.Integer(),
});
export type HeartbeatReport = Static<typeof HeartbeatReport>;
export const heartbeatValidator = compileValidator(HeartbeatReport);

/** Connections per HeartbeatReport: at ~130 bytes each, well under NATS's default 1 MiB payload. */
export const HEARTBEAT_MAX_CONNECTIONS = 4000;

/** A gateway's live connections as heartbeat reports of at most `maxPerReport` connections. */
export function heartbeatReports(
  gatewayId: string,
  connections: ReadonlyArray<HeartbeatReport['connections'][number]>,
  at: number = Date.now(),
  maxPerReport: number = HEARTBEAT_MAX_CONNECTIONS,
): HeartbeatReport[] {
  const reports: HeartbeatReport[] = [];
  for (let i = 0; i < connections.length; i += maxPerReport) {
    reports.push({ gateway_id: gatewayId, connections: connections.slice(i, i + maxPerReport), at });
  }
  return reports;
}

/** Presence → gateway, when a heartbeat was sent as a request: applied (or not). */
export const HeartbeatAck = Type.Object({
  ok: Type.Boolean(),
  connections: Type.Integer({ description: 'connections refreshed' }),
});
export type HeartbeatAck = Static<typeof HeartbeatAck>;

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

/**
 * `statuses` in the order of `user_ids`. A refused query (bad request, Redis down, reply larger
 * than the NATS max payload) has empty `statuses` and an `error` with a code of error-codes.ts.
 */
export const PresenceQueryReply = Type.Object({
  statuses: Type.Array(Type.Object({ user_id: Uuid, status: PresenceStatus, last_seen: Type.Union([Type.Integer(), Type.Null()]) })),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});
export type PresenceQueryReply = Static<typeof PresenceQueryReply>;
