/**
 * NeonChat for the browser tests: api (serving the web client), gateway, persister and
 * presence from the services' own factories against the run's real NATS, PostgreSQL and Redis.
 * The gateway listens on a fixed port so it can be stopped and started again under the
 * browsers' feet, the way a deploy restarts it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { ApiEnv, GatewayEnv, PersisterEnv, PresenceEnv } from '@neonchat/common';
import { TEST_RATE_LIMIT_PER_MINUTE, freePort, testServiceConfig } from '@neonchat/common/testing';
import { createApiService, type ApiService } from '@neonchat/api';
import { createGateway, type Gateway } from '@neonchat/gateway';
import { createPersister, type Persister } from '@neonchat/persister';
import { createPresenceService, type PresenceService } from '@neonchat/presence';

export const WEB_DIST = fileURLToPath(new URL('../../dist', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build.mjs', import.meta.url));

const OVERRIDES = {
  // The tests seed hundreds of messages through one socket and page through them.
  GATEWAY_RATE_PER_SECOND: 100_000,
  GATEWAY_RATE_BURST: 100_000,
  RATE_LIMIT_PER_MINUTE: TEST_RATE_LIMIT_PER_MINUTE,
  // A closed tab shows offline quickly.
  PRESENCE_OFFLINE_GRACE_MS: 200,
  PRESENCE_SWEEP_INTERVAL_MS: 100,
};

export class WebSystem {
  private constructor(
    readonly api: ApiService,
    public gateway: Gateway,
    public persister: Persister,
    readonly presence: PresenceService,
    readonly gatewayPort: number,
    private readonly settings: Record<string, string | number>,
  ) {}

  /** Builds the web client (esbuild, well under a second), then starts the services (`overrides`: env settings on top of the tests'). */
  static async start(overrides: Record<string, string | number> = {}): Promise<WebSystem> {
    await promisify(execFile)(process.execPath, [BUILD_SCRIPT]);
    const settings = { ...OVERRIDES, ...overrides };
    const gatewayPort = await freePort();
    const gateway = await createGateway(testServiceConfig(GatewayEnv, { ...settings, GATEWAY_PORT: gatewayPort }));
    await gateway.listen();
    const persister = await createPersister(testServiceConfig(PersisterEnv, settings));
    await persister.start();
    const presence = await createPresenceService(testServiceConfig(PresenceEnv, settings));
    const api = await createApiService(
      testServiceConfig(ApiEnv, { ...settings, WEB_DIR: WEB_DIST, WEB_WS_URL: `ws://127.0.0.1:${gatewayPort}/ws` }),
      { rateLimitNamespace: `web-test:${process.pid}:` },
    );
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    return new WebSystem(api, gateway, persister, presence, gatewayPort, settings);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.api.app.server.address() as AddressInfo).port}`;
  }
  get apiUrl(): string {
    return `${this.baseUrl}/api/v1`;
  }
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.gatewayPort}/ws`;
  }

  /** Another gateway on its own port, for a client that keeps talking while the first is down. */
  async extraGateway(): Promise<Gateway> {
    const gateway = await createGateway(testServiceConfig(GatewayEnv, { ...this.settings, GATEWAY_PORT: await freePort() }));
    await gateway.listen();
    return gateway;
  }

  /** Stops the gateway (sockets get 1001), runs `whileDown`, then starts a new one on the same port. */
  async restartGateway(whileDown: () => Promise<void>): Promise<void> {
    await this.gateway.close();
    await whileDown();
    this.gateway = await createGateway(testServiceConfig(GatewayEnv, { ...this.settings, GATEWAY_PORT: this.gatewayPort }));
    await this.gateway.listen();
  }

  /** Stops the persister (nothing reaches PostgreSQL), runs `whileDown`, then starts a new one, which catches up. */
  async pausePersister(whileDown: () => Promise<void>): Promise<void> {
    await this.persister.close();
    try {
      await whileDown();
    } finally {
      this.persister = await createPersister(testServiceConfig(PersisterEnv, this.settings));
      await this.persister.start();
    }
  }

  async stop(): Promise<void> {
    await this.gateway.close();
    await this.persister.close();
    await this.presence.close();
    await this.api.close();
  }
}
