import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_S, TallyCounter } from '@neonchat/common/runtime';

export interface GatewayMetrics {
  readonly connections: Gauge;
  readonly connectionsOpened: Counter;
  readonly closes: Counter<'reason'>;
  readonly framesIn: TallyCounter<'type'>;
  readonly framesOut: TallyCounter<'type'>;
  readonly deliveries: TallyCounter<'type'>;
  readonly publishAck: Histogram;
  readonly errors: Counter<'code'>;
  readonly drops: Counter<'reason'>;
  readonly slowConsumerCloses: Counter<'reason'>;
  readonly chatSubscriptions: Gauge;
  readonly gapRepairs: Counter;
  readonly catchUps: Counter<'kind' | 'outcome'>;
  readonly presenceDeliveries: Counter;
  readonly internalErrors: Counter<'where'>;
  readonly sendsShed: Counter<'reason'>;
  readonly bufferedBytes: Gauge;
  readonly socketLag: Histogram;
  readonly publishesInFlight: Gauge;
  readonly upgradeUserChecks: Counter<'outcome'>;
  readonly connectChatReads: Counter<'at'>;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name: `neonchat_gateway_${name}`, help, labelNames, registers: [registry] });
  const tally = (name: string, help: string) => new TallyCounter({ name: `neonchat_gateway_${name}`, help, label: 'type', registry });
  return {
    connections: new Gauge({ name: 'neonchat_gateway_connections', help: 'Open WebSocket connections', registers: [registry] }),
    connectionsOpened: counter('connections_opened_total', 'WebSocket connections accepted'),
    closes: counter('connections_closed_total', 'Connections closed, by reason', ['reason']),
    // Counted on every frame: tallied, and added to the counters when they are scraped.
    framesIn: tally('frames_in_total', 'Frames received, by type'),
    framesOut: tally('frames_out_total', 'Frames serialized to go out, by type (a fanned-out event counts once)'),
    deliveries: tally('deliveries_total', 'Event frames handed to sockets by fan-out, by type (one per receiving socket)'),
    publishAck: new Histogram({
      name: 'neonchat_gateway_publish_ack_seconds',
      help: 'From publishing a message to JetStream to its ack',
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    }),
    errors: counter('error_frames_total', 'Error frames sent, by code', ['code']),
    drops: counter('drops_total', 'Events or frames not delivered, by reason', ['reason']),
    slowConsumerCloses: counter('slow_consumer_closes_total', 'Sockets closed for not keeping up, by reason', ['reason']),
    chatSubscriptions: new Gauge({
      name: 'neonchat_gateway_chat_subscriptions',
      help: 'NATS subscriptions held, one per chat',
      registers: [registry],
    }),
    gapRepairs: counter('live_gap_events_repaired_total', 'Events lost on core NATS and read back from the stream'),
    catchUps: counter('catch_ups_total', 'History opens and resumes, by outcome', ['kind', 'outcome']),
    presenceDeliveries: counter('presence_frames_total', 'Presence frames published to local users'),
    internalErrors: counter('internal_errors_total', 'Unexpected failures, by where they happened', ['where']),
    sendsShed: counter('sends_shed_total', 'Sends answered `unavailable` before publishing because the gateway is behind, by reason', [
      'reason',
    ]),
    bufferedBytes: new Gauge({
      name: 'neonchat_gateway_buffered_bytes',
      help: 'Bytes uWS buffers for all sockets together (at the last overload check)',
      registers: [registry],
    }),
    socketLag: new Histogram({
      name: 'neonchat_gateway_socket_lag_seconds',
      help: 'From a lag probe (ping) to its pong: how far behind the sockets that get fan-out read',
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    }),
    publishesInFlight: new Gauge({
      name: 'neonchat_gateway_publishes_in_flight',
      help: 'Sends published and waiting for the stream ack (at the last overload check)',
      registers: [registry],
    }),
    upgradeUserChecks: counter(
      'upgrade_user_checks_total',
      'Upgrades with a valid token, by how the user was found: known (remembered, upgraded at once), read (PostgreSQL read first), unknown (401), unavailable (read failed), aborted (client left during the read)',
      ['outcome'],
    ),
    connectChatReads: counter(
      'connect_chat_reads_total',
      "PostgreSQL reads of a connecting user's chats, by where: upgrade or open (one per connect)",
      ['at'],
    ),
  };
}
