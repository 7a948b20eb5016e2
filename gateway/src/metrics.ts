import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS_S } from '@neonchat/common';

export interface GatewayMetrics {
  readonly connections: Gauge;
  readonly framesIn: Counter<'type'>;
  readonly framesOut: Counter<'type'>;
  readonly publishAck: Histogram;
  readonly errors: Counter<'code'>;
  readonly chatSubscriptions: Gauge;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    connections: new Gauge({ name: 'neonchat_gateway_connections', help: 'Open WebSocket connections', registers: [registry] }),
    framesIn: new Counter({
      name: 'neonchat_gateway_frames_in_total',
      help: 'Frames received, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    framesOut: new Counter({
      name: 'neonchat_gateway_frames_out_total',
      help: 'Frames fanned out, by type (one per chat event, not per socket)',
      labelNames: ['type'],
      registers: [registry],
    }),
    publishAck: new Histogram({
      name: 'neonchat_gateway_publish_ack_seconds',
      help: 'From publishing a message to JetStream to its ack',
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'neonchat_gateway_error_frames_total',
      help: 'Error frames sent, by code',
      labelNames: ['code'],
      registers: [registry],
    }),
    chatSubscriptions: new Gauge({
      name: 'neonchat_gateway_chat_subscriptions',
      help: 'NATS subscriptions held, one per chat',
      registers: [registry],
    }),
  };
}
