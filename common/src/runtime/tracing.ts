import { register } from 'node:module';
import {
  context,
  propagation,
  trace,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { MsgHdrs } from '@nats-io/nats-core';

export interface Tracing {
  readonly tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry for a service. Without an OTLP endpoint no exporter runs, but the W3C
 * propagator is still installed, so trace context keeps flowing across NATS headers from
 * services that do export.
 */
export async function startTracing(service: string, otlpEndpoint: string | undefined): Promise<Tracing> {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  let sdk: { shutdown(): Promise<void> } | undefined;
  if (otlpEndpoint) {
    tracingEnabled = true;
    // ESM imports (ioredis, pg from an ES module) reach the instrumentations only through this
    // loader hook; CommonJS requires are patched without it. Both catch modules loaded after
    // this point only: a service's main.ts imports its factory after runService started tracing.
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
    // Loaded only when exporting: the SDK alone takes about a second to import.
    const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }, { PgInstrumentation }, { IORedisInstrumentation }] =
      await Promise.all([
        import('@opentelemetry/sdk-node'),
        import('@opentelemetry/exporter-trace-otlp-http'),
        import('@opentelemetry/instrumentation-http'),
        import('@opentelemetry/instrumentation-pg'),
        import('@opentelemetry/instrumentation-ioredis'),
      ]);
    const nodeSdk = new NodeSDK({
      serviceName: service,
      traceExporter: new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }),
      instrumentations: [
        new HttpInstrumentation({
          // Probes and scrapes every second or so are noise, not traffic.
          ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '/').split('?')[0] ?? '/'),
        }),
        new PgInstrumentation({ enhancedDatabaseReporting: false }),
        new IORedisInstrumentation(),
      ],
    });
    nodeSdk.start();
    sdk = nodeSdk;
  }
  return {
    tracer: trace.getTracer(`neonchat-${service}`),
    shutdown: async () => {
      await sdk?.shutdown();
    },
  };
}

/** Health probes and metrics scrapes: no spans. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const natsHeaderSetter = {
  set(carrier: MsgHdrs, key: string, value: string) {
    carrier.set(key, value);
  },
};
const natsHeaderGetter = {
  get(carrier: MsgHdrs | undefined, key: string) {
    return carrier?.get(key) || undefined;
  },
  keys(carrier: MsgHdrs | undefined) {
    return carrier ? carrier.keys() : [];
  },
};

/** Writes the active trace context (traceparent) into outgoing NATS headers. */
export function injectTraceContext(headers: MsgHdrs, ctx: Context = context.active()): void {
  if (!tracingEnabled) return;
  propagation.inject(ctx, headers, natsHeaderSetter);
}

/** The trace context carried by an incoming NATS message, to parent the consumer's span. */
export function extractTraceContext(headers: MsgHdrs | undefined): Context {
  return propagation.extract(context.active(), headers, natsHeaderGetter);
}

export { SpanKind };

const neonTracer = trace.getTracer('neonchat');

// Without an exporter every span would be a no-op, yet creating it and switching contexts
// still cost the gateway a large share of its CPU per message (bench profile): skip it all.
let tracingEnabled = false;

/** Whether spans are made and trace context injected (an exporter runs). */
export function isTracingEnabled(): boolean {
  return tracingEnabled;
}

/** Turns span creation and header injection on; `startTracing` does it when it exports. */
export function setTracingEnabled(enabled: boolean): void {
  tracingEnabled = enabled;
}

/**
 * Runs `fn` inside an active span (a no-op span when tracing is off), records a thrown error
 * on it, and ends it. Trace context injected inside `fn` carries this span across NATS.
 */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled) return fn(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  const parent = options.parent ?? context.active();
  return neonTracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {}, links: options.links ?? [] },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err instanceof Error ? err : String(err));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/** A span link to the producer of a NATS message, for consumers that handle many at once. */
export function linkFromHeaders(headers: MsgHdrs | undefined): Link | undefined {
  const spanContext = trace.getSpanContext(extractTraceContext(headers));
  return spanContext && trace.isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
}
