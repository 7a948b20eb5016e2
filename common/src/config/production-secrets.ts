import { ConfigError } from './load-config.js';
import { splitSecrets } from '../auth/signing-keys.js';

/** Secrets that appear in docs, examples and tests: anyone can forge tokens signed with them. */
const WELL_KNOWN_SECRETS = new Set([
  'secret',
  'changeme',
  'change-me',
  'change_me',
  'jwt-secret',
  'jwt_secret',
  'your-secret',
  'your-256-bit-secret',
  'supersecret',
  'test-only-secret-0123456789abcdef0123456789',
  'dev-secret-change-me-dev-secret-change-me',
]);

export const JWT_SECRET_MIN_LENGTH = 32;
export const PRODUCTION_BCRYPT_COST_MIN = 10;

/**
 * Refuses, in production, the settings that would make tokens forgeable or password hashes
 * cheap to crack. Outside production anything the schema accepts goes (tests use cost 4).
 */
export function assertProductionSecrets(config: {
  NODE_ENV: string;
  JWT_SECRET?: string;
  JWT_SECRET_PREVIOUS?: string;
  BCRYPT_COST?: number;
}): void {
  if (config.NODE_ENV !== 'production') return;
  assertStrongSecret('JWT_SECRET', config.JWT_SECRET ?? '');
  for (const secret of splitSecrets(config.JWT_SECRET_PREVIOUS)) assertStrongSecret('JWT_SECRET_PREVIOUS', secret);
  if (config.BCRYPT_COST !== undefined && config.BCRYPT_COST < PRODUCTION_BCRYPT_COST_MIN)
    throw new ConfigError('BCRYPT_COST', `must be at least ${PRODUCTION_BCRYPT_COST_MIN} in production`);
}

function assertStrongSecret(name: string, secret: string): void {
  if (secret.length < JWT_SECRET_MIN_LENGTH)
    throw new ConfigError(name, `must be at least ${JWT_SECRET_MIN_LENGTH} characters in production`);
  if (WELL_KNOWN_SECRETS.has(secret.toLowerCase()) || /^(.)\1+$/.test(secret))
    throw new ConfigError(name, 'is a well-known default: set a random secret in production');
}
