import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  PresenceEnv,
  SUBJECTS,
  connectNats,
  createLogger,
  type ConnectionClosedReport,
  type ConnectionOpenedReport,
  type HeartbeatAck,
  type HeartbeatReport,
  type PresenceChangedEvent,
  type StatusReport,
} from '@neonchat/common';
import { startNats, startRedis, testServiceConfig, waitFor, type RunningServer } from '@neonchat/common/testing';
import { createPresenceService, type PresenceService } from '../../src/mod.js';

/**
 * A NATS server and a Redis of the suite's own (presence keeps global sorted sets, so sharing
 * the run's Redis with other presence instances would mix their state), the run's PostgreSQL,
 * and a recorder of every `presence.changed` event.
 */
export class PresenceHarness {
  readonly events: PresenceChangedEvent[] = [];
  private readonly services: PresenceService[] = [];

  private constructor(
    readonly nats: RunningServer,
    readonly redis: RunningServer,
    readonly nc: NatsConnection,
  ) {}

  static async start(): Promise<PresenceHarness> {
    const [nats, redis] = await Promise.all([startNats(), startRedis()]);
    const nc = await connectNats({ url: nats.url, name: 'presence-test', logger: createLogger('test', 'silent') });
    const harness = new PresenceHarness(nats, redis, nc);
    nc.subscribe(SUBJECTS.presenceChangedAll, {
      callback: (err, msg) => {
        if (!err) harness.events.push(msg.json<PresenceChangedEvent>());
      },
    });
    await nc.flush();
    return harness;
  }

  /** A presence instance on the suite's servers; short timings unless overridden. */
  async presence(overrides: Record<string, string | number> = {}): Promise<PresenceService> {
    const service = await createPresenceService(
      testServiceConfig(PresenceEnv, {
        NATS_URL: this.nats.url,
        REDIS_URL: this.redis.url,
        PRESENCE_TTL_S: 2,
        PRESENCE_OFFLINE_GRACE_MS: 1000,
        PRESENCE_SWEEP_INTERVAL_MS: 100,
        ...overrides,
      }),
    );
    this.services.push(service);
    return service;
  }

  async closePresence(service: PresenceService): Promise<void> {
    this.services.splice(this.services.indexOf(service), 1);
    await service.close();
  }

  gateway(id = `gw-${randomUUID().slice(0, 8)}`): SimulatedGateway {
    return new SimulatedGateway(this.nc, id);
  }

  eventsOf(userId: string): Array<PresenceChangedEvent['event']> {
    return this.events.filter((e) => e.user_id === userId).map((e) => e.event);
  }

  /** Waits until `userId` has had exactly these events, in this order. */
  async expectEvents(userId: string, expected: Array<PresenceChangedEvent['event']>, timeoutMs = 10000): Promise<void> {
    await waitFor(() => this.eventsOf(userId).length >= expected.length, { timeoutMs, what: `${expected.join(', ')} for ${userId}` });
    const got = this.eventsOf(userId);
    if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`expected ${expected.join(', ')}, got ${got.join(', ')}`);
  }

  async stop(): Promise<void> {
    for (const s of this.services.splice(0)) await s.close();
    await this.nc.close();
    await Promise.all([this.nats.stop(), this.redis.stop()]);
  }
}

/** Sends what a gateway sends, for the sockets it pretends to hold. */
export class SimulatedGateway {
  readonly live = new Map<string, string>();

  constructor(
    private readonly nc: NatsConnection,
    readonly id: string,
  ) {}

  connect(userId: string, deviceId?: string): string {
    const connectionId = `${this.id}:${randomUUID()}`;
    this.live.set(connectionId, userId);
    const report: ConnectionOpenedReport = {
      gateway_id: this.id,
      connection_id: connectionId,
      user_id: userId,
      at: Date.now(),
      ...(deviceId ? { device_id: deviceId } : {}),
    };
    this.nc.publish(SUBJECTS.presenceConnect, JSON.stringify(report));
    return connectionId;
  }

  disconnect(connectionId: string): void {
    const userId = this.live.get(connectionId);
    if (!userId) throw new Error(`unknown connection ${connectionId}`);
    this.live.delete(connectionId);
    const report: ConnectionClosedReport = { gateway_id: this.id, connection_id: connectionId, user_id: userId, at: Date.now() };
    this.nc.publish(SUBJECTS.presenceDisconnect, JSON.stringify(report));
  }

  setStatus(connectionId: string, status: 'online' | 'away'): void {
    const userId = this.live.get(connectionId)!;
    const report: StatusReport = { gateway_id: this.id, connection_id: connectionId, user_id: userId, status, at: Date.now() };
    this.nc.publish(SUBJECTS.presenceStatus, JSON.stringify(report));
  }

  /** A heartbeat sent as a request: resolves once presence applied it. */
  async heartbeat(): Promise<HeartbeatAck> {
    const report: HeartbeatReport = {
      gateway_id: this.id,
      connections: [...this.live].map(([connection_id, user_id]) => ({ connection_id, user_id })),
      at: Date.now(),
    };
    const reply = await this.nc.request(SUBJECTS.presenceHeartbeat, JSON.stringify(report), { timeout: 5000 });
    return reply.json<HeartbeatAck>();
  }

  /** Heartbeats every `intervalMs` until the returned function is called (the gateway "dies"). */
  keepAlive(intervalMs: number): () => Promise<void> {
    let running: Promise<unknown> = Promise.resolve();
    let failure: unknown;
    const timer = setInterval(() => {
      running = this.heartbeat().then(
        (ack) => (failure ??= ack.ok ? undefined : new Error('heartbeat refused')),
        (err: unknown) => (failure ??= err),
      );
    }, intervalMs);
    return async () => {
      clearInterval(timer);
      await running;
      if (failure) throw failure;
    };
  }
}
