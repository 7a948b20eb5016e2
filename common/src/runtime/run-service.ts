import cluster from 'node:cluster';
import type { Static, TObject, TProperties } from 'typebox';
import type { Registry } from 'prom-client';
import { loadConfigOrExit } from '../config/load-config.js';
import type { CommonEnv } from '../config/env-schemas.js';
import { createLogger, type Logger } from './logger.js';
import { joinCluster } from './cluster-worker.js';
import { startOpsServer } from './ops-server.js';
import { createShutdown } from './shutdown.js';
import { startTracing } from './tracing.js';

/** What a service's factory hands back to its `main.ts`. */
export interface RunnableService {
  /** Metrics for the ops port (omit when the service serves /metrics itself, as the api does). */
  readonly registry?: Registry;
  isReady(): boolean;
  /** Starts serving (listen, consume); resolves once it does. */
  start?(): Promise<void>;
  /** Stops taking work, finishes what is in hand, closes its connections. */
  close(): Promise<void>;
}

export interface ServiceMain<P extends TProperties, S extends RunnableService> {
  readonly name: string;
  readonly env: TObject<P>;
  /** Extra checks of the loaded config (production secrets); throw a ConfigError to refuse. */
  readonly check?: (config: Static<TObject<P>>) => void;
  /** The config, when the main had to read it first (to choose how to run); else read here. */
  readonly config?: Static<TObject<P>>;
  readonly build: (config: Static<TObject<P>>, logger: Logger) => Promise<S>;
  /** The ops server (/healthz, /readyz, /metrics) address, when the service has one. */
  readonly ops?: (config: Static<TObject<P>>) => { host: string; port: number };
}

/** Every service's schema spreads CommonEnv (log level, tracing endpoint, shutdown deadline). */
type BaseEnv = Static<TObject<typeof CommonEnv>>;

/**
 * Every service's `main.ts`, in one fixed order: config (validated, fatal) → logger and
 * tracing → the service from its factory (the same one the tests use) → ops server →
 * shutdown steps (service, ops server, tracing; under a hard deadline) and signal handlers →
 * start. A worker of `runServiceCluster` has no ops server of its own: it reports to its primary.
 */
export async function runService<P extends TProperties, S extends RunnableService>(main: ServiceMain<P, S>): Promise<S> {
  const config = main.config ?? loadConfigOrExit(main.name, main.env, main.check);
  const base = config as unknown as BaseEnv;
  const logger = createLogger(main.name, base.LOG_LEVEL, { instance: base.INSTANCE_ID });
  const tracing = await startTracing(main.name, base.OTEL_EXPORTER_OTLP_ENDPOINT);
  const service = await main.build(config, logger);
  const opsAddress = cluster.isWorker ? undefined : main.ops?.(config);
  const ops =
    opsAddress && service.registry
      ? await startOpsServer({ ...opsAddress, metrics: service.registry, isReady: () => service.isReady() })
      : undefined;
  const shutdown = createShutdown(logger, base.SHUTDOWN_TIMEOUT_MS);
  shutdown.add(main.name, () => service.close());
  if (ops) shutdown.add('ops server', () => ops.close());
  shutdown.add('tracing', () => tracing.shutdown());
  shutdown.installSignalHandlers();
  await service.start?.();
  if (cluster.isWorker) joinCluster({ registry: service.registry, isReady: () => service.isReady(), shutdown });
  logger.info(`${main.name} running`);
  return service;
}
