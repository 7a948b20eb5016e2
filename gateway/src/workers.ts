import { availableParallelism } from 'node:os';
import type { Static } from 'typebox';
import { ConfigError, type GatewayEnv } from '@neonchat/common/runtime';

type GatewayConfig = Static<typeof GatewayEnv>;

/** A worker's GATEWAY_ID and INSTANCE_ID are the instance's with `-<n>` appended, within their 100 characters. */
const MAX_ID_FOR_WORKERS = 96;

/**
 * GATEWAY_WORKERS as a count. 0 is one per core this process may run on but one, which is left
 * to what runs beside the gateway (NATS, the other services, the kernel's network work): on two
 * cores shared with its load, a second worker made fan-out slower, not faster (docs/BENCHMARKS.md).
 */
export function gatewayWorkerCount(configured: number, cores: number = availableParallelism()): number {
  return configured > 0 ? configured : Math.max(1, Math.min(64, cores - 1));
}

/** Refuses settings several workers cannot share (checked before any worker starts). */
export function checkGatewayWorkers(config: GatewayConfig, cores?: number): void {
  if (gatewayWorkerCount(config.GATEWAY_WORKERS, cores) === 1) return;
  if (config.GATEWAY_PORT === 0) {
    throw new ConfigError('GATEWAY_PORT', 'must be a fixed port when GATEWAY_WORKERS runs several workers (each would get its own port)');
  }
  if (config.GATEWAY_ID !== undefined && config.GATEWAY_ID.length > MAX_ID_FOR_WORKERS) {
    throw new ConfigError('GATEWAY_ID', `must be at most ${MAX_ID_FOR_WORKERS} characters when GATEWAY_WORKERS runs several workers`);
  }
}

/** The fewest PostgreSQL connections a worker's pool may have. */
const MIN_WORKER_POOL = 2;

/**
 * Worker `index` (0-based) of `workers`: its GATEWAY_ID (presence reports and connection ids
 * name it; random per worker when unset), the instance in its log lines, and its share of the
 * instance's budgets, so that one gateway holds about as much whatever its worker count:
 * DATABASE_POOL_MAX (15 workers with 10 connections each would pass PostgreSQL's default of
 * 100) and GATEWAY_MAX_BUFFERED_TOTAL_BYTES (memory is the container's, not a worker's).
 */
export function gatewayWorkerEnv(config: GatewayConfig, instance: string, index: number, workers: number): Record<string, string> {
  const n = String(index + 1);
  return {
    INSTANCE_ID: `${instance.slice(0, MAX_ID_FOR_WORKERS).replace(/[^A-Za-z0-9._-]/g, '_')}-${n}`,
    DATABASE_POOL_MAX: String(Math.max(MIN_WORKER_POOL, Math.ceil(config.DATABASE_POOL_MAX / workers))),
    // 0 is off, for every worker.
    GATEWAY_MAX_BUFFERED_TOTAL_BYTES: String(Math.ceil(config.GATEWAY_MAX_BUFFERED_TOTAL_BYTES / workers)),
    ...(config.GATEWAY_ID !== undefined ? { GATEWAY_ID: `${config.GATEWAY_ID}-${n}` } : {}),
  };
}
