import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { NeonError } from '@neonchat/common/contracts';

export interface LoginThrottleSettings {
  readonly redis: Redis;
  /** Redis key prefix, shared by every api replica of a deployment. */
  readonly namespace: string;
  /** Failures per account and per address answered without delay. */
  readonly freeFailures: number;
  /** The longest wait the back-off imposes (s). */
  readonly maxBlockSeconds: number;
  /** Registration answers naming a taken username or phone, per address per hour. */
  readonly registerConflictsPerHour: number;
}

/** Failures are counted over this window; past it a quiet account or address starts afresh. */
const FAILURE_WINDOW_S = 15 * 60;
const CONFLICT_WINDOW_S = 3600;
/** Counted without bound (only `penalty` and `get` are used on the failure counters). */
const UNBOUNDED = 1_000_000;

/** The `rate_limited` refusal with the wait in whole seconds, sent as `Retry-After`. */
export function tooManyAttempts(retryAfterS: number, what: string): NeonError {
  const seconds = Math.max(1, Math.ceil(retryAfterS));
  return new NeonError('rate_limited', `${what}: retry in ${seconds} s`, { details: { retry_after_s: seconds } });
}

/**
 * Password guessing limits, per account and per address, kept in Redis by
 * rate-limiter-flexible so every replica shares them. After `freeFailures` failures within 15
 * minutes each further failure doubles the wait (1 s, 2 s, 4 s, ...) up to `maxBlockSeconds`:
 * an attacker gets a handful of guesses an hour per account whatever the number of addresses,
 * while the account's owner is never kept out longer than that bound after the last failure.
 * A success clears the account's count (not the address's: one known password must not
 * reset a spraying address).
 *
 * When Redis does not answer, an in-memory limiter per replica takes over (the library's
 * insurance limiter): weaker, never none, and never a refused login because of an outage.
 */
export class LoginThrottle {
  private readonly failures: RateLimiterAbstract;
  private readonly locks: RateLimiterAbstract;
  private readonly conflicts: RateLimiterAbstract;

  constructor(private readonly settings: LoginThrottleSettings) {
    const store = (keyPrefix: string, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: settings.redis,
        keyPrefix: `${settings.namespace}${keyPrefix}`,
        points,
        duration,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
      });
    this.failures = store('login_failures', UNBOUNDED, FAILURE_WINDOW_S);
    this.locks = store('login_locks', 1, settings.maxBlockSeconds);
    this.conflicts = store('register_conflicts', settings.registerConflictsPerHour, CONFLICT_WINDOW_S);
  }

  /** Refuses (429) while the account or the address is waiting out a back-off. */
  async checkLogin(account: string, address: string): Promise<void> {
    for (const key of [accountKey(account), addressKey(address)]) {
      const lock = await this.locks.get(key);
      if (lock && lock.consumedPoints > 1) throw tooManyAttempts(lock.msBeforeNext / 1000, 'too many failed logins');
    }
  }

  /** Counts a failed login against both; from the free ones on, both wait 2^(n - free) s (bounded). */
  async loginFailed(account: string, address: string): Promise<void> {
    for (const key of [accountKey(account), addressKey(address)]) {
      const counted = await this.failures.penalty(key, 1);
      const over = counted.consumedPoints - this.settings.freeFailures;
      if (over >= 0) await this.locks.block(key, Math.min(2 ** over, this.settings.maxBlockSeconds));
    }
  }

  async loginSucceeded(account: string): Promise<void> {
    const key = accountKey(account);
    await Promise.all([this.failures.delete(key), this.locks.delete(key)]);
  }

  /**
   * An address past its budget of "taken" answers gets 429 for every registration (taken name
   * or not), so a 429 says nothing about a name: registration cannot enumerate accounts.
   */
  async checkRegister(address: string): Promise<void> {
    const used = await this.conflicts.get(addressKey(address));
    if (used && used.consumedPoints >= this.settings.registerConflictsPerHour)
      throw tooManyAttempts(used.msBeforeNext / 1000, 'too many registrations of taken names');
  }

  async registerConflicted(address: string): Promise<void> {
    await this.conflicts.penalty(addressKey(address), 1);
  }
}

/** Usernames compare case-insensitively; a phone is taken as written. Bounded by the schemas. */
function accountKey(account: string): string {
  return `a:${account.toLowerCase()}`;
}

function addressKey(address: string): string {
  return `ip:${address}`;
}
