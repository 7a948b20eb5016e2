import { expect } from 'chai';
import { ConfigError, GatewayEnv } from '@neonchat/common/runtime';
import { testServiceConfig } from '@neonchat/common/testing';
import { checkGatewayWorkers, gatewayWorkerCount, gatewayWorkerEnv } from '../src/workers.js';

describe('gateway workers: configuration', () => {
  it('runs one worker per core but one for 0, and as many as asked otherwise', () => {
    expect(gatewayWorkerCount(0, 8)).to.equal(7);
    expect(gatewayWorkerCount(0, 2)).to.equal(1);
    expect(gatewayWorkerCount(0, 1)).to.equal(1);
    expect(gatewayWorkerCount(0, 500), 'at most 64').to.equal(64);
    expect(gatewayWorkerCount(3, 8)).to.equal(3);
    expect(gatewayWorkerCount(1, 8)).to.equal(1);
  });

  it('refuses an ephemeral port or an id too long for a worker suffix, only when there are several workers', () => {
    const config = (env: Record<string, string>) => testServiceConfig(GatewayEnv, env);
    expect(() => checkGatewayWorkers(config({ GATEWAY_WORKERS: '2', GATEWAY_PORT: '0' })))
      .to.throw(ConfigError)
      .with.property('variable', 'GATEWAY_PORT');
    expect(() => checkGatewayWorkers(config({ GATEWAY_WORKERS: '0', GATEWAY_PORT: '0' }), 4)).to.throw(ConfigError);
    expect(() => checkGatewayWorkers(config({ GATEWAY_WORKERS: '0', GATEWAY_PORT: '0' }), 2)).not.to.throw();
    expect(() => checkGatewayWorkers(config({ GATEWAY_WORKERS: '1', GATEWAY_PORT: '0' }))).not.to.throw();
    expect(() => checkGatewayWorkers(config({ GATEWAY_WORKERS: '2', GATEWAY_PORT: '8082', GATEWAY_ID: 'g'.repeat(97) })))
      .to.throw(ConfigError)
      .with.property('variable', 'GATEWAY_ID');
    expect(() => checkGatewayWorkers(config({ GATEWAY_WORKERS: '2', GATEWAY_PORT: '8082', GATEWAY_ID: 'g'.repeat(96) }))).not.to.throw();
    expect(() => testServiceConfig(GatewayEnv, { GATEWAY_WORKERS: '65' }), 'bounded').to.throw(ConfigError);
    expect(() => testServiceConfig(GatewayEnv, { GATEWAY_WORKERS: '-1' }), 'bounded').to.throw(ConfigError);
  });

  it('names each worker after the instance, in its logs and, when set, its GATEWAY_ID, and splits the pool and the buffer budget among them', () => {
    const withId = testServiceConfig(GatewayEnv, { GATEWAY_ID: 'gateway-1' });
    expect(gatewayWorkerEnv(withId, 'pod-7', 0, 2)).to.deep.equal({
      INSTANCE_ID: 'pod-7-1',
      GATEWAY_ID: 'gateway-1-1',
      DATABASE_POOL_MAX: '5',
      GATEWAY_MAX_BUFFERED_TOTAL_BYTES: String(128 * 1024 * 1024),
    });
    const withoutId = testServiceConfig(GatewayEnv, { DATABASE_POOL_MAX: '10', GATEWAY_MAX_BUFFERED_TOTAL_BYTES: '0' });
    expect(gatewayWorkerEnv(withoutId, 'host name!', 2, 3), 'random ids per worker; the instance made valid').to.deep.equal({
      INSTANCE_ID: 'host_name_-3',
      DATABASE_POOL_MAX: '4',
      GATEWAY_MAX_BUFFERED_TOTAL_BYTES: '0',
    });
    expect(gatewayWorkerEnv(withoutId, 'h', 0, 15).DATABASE_POOL_MAX, 'at least 2 each').to.equal('2');
  });
});
