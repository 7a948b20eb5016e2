import { context, propagation, trace, type Context, type Tracer } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
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
export function startTracing(service: string, otlpEndpoint: string | undefined): Tracing {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  let sdk: NodeSDK | undefined;
  if (otlpEndpoint) {
    sdk = new NodeSDK({
      serviceName: service,
      traceExporter: new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }),
      instrumentations: [],
    });
    sdk.start();
  }
  return {
    tracer: trace.getTracer(`neonchat-${service}`),
    shutdown: async () => {
      await sdk?.shutdown();
    },
  };
}

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
  propagation.inject(ctx, headers, natsHeaderSetter);
}

/** The trace context carried by an incoming NATS message, to parent the consumer's span. */
export function extractTraceContext(headers: MsgHdrs | undefined): Context {
  return propagation.extract(context.active(), headers, natsHeaderGetter);
}
