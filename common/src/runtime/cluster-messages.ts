import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/**
 * What a service's primary and its workers (node:cluster, one IPC channel each) say to each
 * other. Both sides are our own processes; a message of another shape is ignored.
 */
export type WorkerMessage =
  /** The worker serves, and whether its dependencies answer (sent at start and on each change). */
  | { readonly type: 'neonchat:state'; readonly ready: boolean }
  | { readonly type: 'neonchat:metrics'; readonly id: number; readonly metrics: WorkerMetrics };

export type PrimaryMessage =
  | { readonly type: 'neonchat:metrics-request'; readonly id: number }
  /** Drain and exit, as on SIGTERM. */
  | { readonly type: 'neonchat:shutdown' };

export type WorkerMetrics = Array<MetricObjectWithValues<MetricValue<string>>>;

function typed(message: unknown): string | undefined {
  return typeof message === 'object' && message !== null && 'type' in message && typeof message.type === 'string'
    ? message.type
    : undefined;
}

export function isWorkerMessage(message: unknown): message is WorkerMessage {
  const type = typed(message);
  return type === 'neonchat:state' || type === 'neonchat:metrics';
}

export function isPrimaryMessage(message: unknown): message is PrimaryMessage {
  const type = typed(message);
  return type === 'neonchat:metrics-request' || type === 'neonchat:shutdown';
}
