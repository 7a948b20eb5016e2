import { expect } from 'chai';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { inSpan, injectTraceContext, linkFromHeaders, setTracingEnabled, SpanKind } from '@neonchat/common';

describe('tracing across NATS headers', () => {
  const exporter = new InMemorySpanExporter();
  const contextManager = new AsyncLocalStorageContextManager();

  before(() => {
    contextManager.enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    setTracingEnabled(true);
  });

  after(() => {
    setTracingEnabled(false);
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('carries the producer span in the headers and links the consumer span to it', async () => {
    const headers = natsHeaders();
    await inSpan('publish', { kind: SpanKind.PRODUCER }, async () => injectTraceContext(headers));
    expect(headers.get('traceparent')).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const link = linkFromHeaders(headers);
    await inSpan('persist', { kind: SpanKind.CONSUMER, links: link ? [link] : [] }, async () => undefined);
    const [producer, consumer] = exporter.getFinishedSpans();
    expect(link?.context.spanId).to.equal(producer?.spanContext().spanId);
    expect(consumer?.links[0]?.context.traceId).to.equal(producer?.spanContext().traceId);
  });

  it('records a failure on the span and rethrows it', async () => {
    exporter.reset();
    let thrown: unknown;
    try {
      await inSpan('failing', {}, async () => {
        throw new Error('boom');
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(Error);
    expect(exporter.getFinishedSpans()[0]?.status.code).to.equal(2);
  });

  it('makes no spans and injects nothing while tracing is off', async () => {
    setTracingEnabled(false);
    exporter.reset();
    const headers = natsHeaders();
    try {
      await inSpan('off', {}, async () => injectTraceContext(headers));
    } finally {
      setTracingEnabled(true);
    }
    expect(exporter.getFinishedSpans()).to.have.length(0);
    expect(headers.get('traceparent')).to.equal('');
  });

  it('finds no link in headers without trace context', () => {
    expect(linkFromHeaders(natsHeaders())).to.equal(undefined);
    expect(linkFromHeaders(undefined)).to.equal(undefined);
  });
});
