import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { bearerToken } from '@neonchat/common/runtime';
import { NeonError } from '@neonchat/common/contracts';
import type { TokenVerifier } from './token-verifier.js';

export interface RateLimitSettings {
  readonly redis: Redis;
  readonly perMinute: number;
  readonly tokens: TokenVerifier;
  /** Redis key prefix: every replica of one deployment must use the same one. */
  readonly namespace: string;
}

/**
 * Counts per user when the request carries a valid token (so users behind one NAT don't share
 * a budget), per IP otherwise. Only a verified token names a user: a forged one would let a
 * client spread its requests over invented ids.
 */
function clientKey(tokens: TokenVerifier) {
  return (request: FastifyRequest): string => {
    const token = bearerToken(request.headers.authorization);
    if (token) {
      try {
        return `user:${tokens.verify(token).user_id}`;
      } catch {
        // Not a usable token: fall through to the IP; `authenticate` answers 401 later.
      }
    }
    return `ip:${request.ip}`;
  };
}

/**
 * 100 requests/min (by default) per client, counted in Redis so every api replica shares one
 * budget. When Redis is unreachable requests pass (availability over strictness) and the
 * failure is logged.
 */
export async function installRateLimit(app: FastifyInstance, settings: RateLimitSettings): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: settings.perMinute,
    timeWindow: 60_000,
    redis: settings.redis,
    nameSpace: settings.namespace,
    skipOnError: true,
    keyGenerator: clientKey(settings.tokens),
    errorResponseBuilder: (_request, context) =>
      new NeonError('rate_limited', `rate limit exceeded, retry in ${context.after}`, { details: { retryAfter: context.ttl } }),
  });
}
