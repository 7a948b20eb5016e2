import { expect } from 'chai';
import Type from 'typebox';
import { loadConfig, ConfigError, GatewayEnv } from '@neonchat/common';

describe('loadConfig', () => {
  it('applies defaults and converts numbers', () => {
    const config = loadConfig(GatewayEnv, { JWT_SECRET: 's', GATEWAY_PORT: '9000' });
    expect(config.GATEWAY_PORT).to.equal(9000);
    expect(config.GATEWAY_MAX_FRAME_BYTES).to.equal(16 * 1024);
    expect(config.NATS_URL).to.equal('nats://127.0.0.1:4222');
  });

  it('names a bad variable', () => {
    expect(() => loadConfig(GatewayEnv, { JWT_SECRET: 's', GATEWAY_PORT: 'eighty' }))
      .to.throw(ConfigError, /GATEWAY_PORT/)
      .with.property('variable', 'GATEWAY_PORT');
  });

  it('names a missing required variable', () => {
    expect(() => loadConfig(GatewayEnv, {})).to.throw(ConfigError, /JWT_SECRET is required/);
  });

  it('rejects a value outside an enum', () => {
    const schema = Type.Object({ LOG_LEVEL: Type.Union([Type.Literal('info'), Type.Literal('debug')]) });
    expect(() => loadConfig(schema, { LOG_LEVEL: 'loud' })).to.throw(ConfigError, /LOG_LEVEL/);
  });
});
