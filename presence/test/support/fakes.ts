import { Registry } from 'prom-client';
import { createLogger } from '@neonchat/common';
import { createPresenceMetrics, type PresenceMsg, type PresenceMetrics, type PresenceStore } from '../../src/mod.js';

/** A core NATS message that records its replies. */
export class FakeMsg implements PresenceMsg {
  readonly data: Uint8Array;
  readonly replies: string[] = [];

  constructor(
    readonly subject: string,
    body: unknown,
    readonly reply?: string,
  ) {
    this.data = new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
  }

  respond(data: string): boolean {
    this.replies.push(data);
    return true;
  }

  replied(): unknown[] {
    return this.replies.map((r) => JSON.parse(r) as unknown);
  }
}

export const silent = createLogger('test', 'silent');

export function testMetrics(store?: PresenceStore): { registry: Registry; metrics: PresenceMetrics } {
  const registry = new Registry();
  const metrics = createPresenceMetrics(registry, () => (store ? store.counts() : Promise.resolve({ onlineUsers: 0, connections: 0 })));
  return { registry, metrics };
}

export async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = found?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

export async function histogramCount(registry: Registry, name: string): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return found?.values.find((v) => (v as { metricName?: string }).metricName === `${name}_count`)?.value ?? 0;
}
