import type { NatsConnection } from '@nats-io/nats-core';
import { SUBJECTS, compileValidator, PresenceQueryReply, type PresenceQuery, type PresenceStatus } from '@neonchat/common/contracts';
import { type Logger } from '@neonchat/common/runtime';
import { Counter, type Registry } from 'prom-client';

const replyValidator = compileValidator(PresenceQueryReply);

export interface UserPresence {
  readonly status: PresenceStatus;
  readonly lastSeenMs: number | null;
}

/**
 * Asks the presence service about many users in one NATS request. Presence is a decoration of
 * lists, never a reason to fail them: no responder, a timeout or a bad reply reads as
 * "everyone offline" and is counted.
 */
export class PresenceLookup {
  private readonly failures: Counter<'reason'>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    registry: Registry,
    private readonly timeoutMs: number,
  ) {
    this.failures = new Counter({
      name: 'api_presence_lookup_failures_total',
      help: 'Presence queries answered as everyone offline',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  async statuses(userIds: readonly string[]): Promise<Map<string, UserPresence>> {
    const result = new Map<string, UserPresence>();
    const unique = [...new Set(userIds)];
    if (!unique.length) return result;
    const query: PresenceQuery = { user_ids: unique };
    let raw: unknown;
    try {
      const msg = await this.nc.request(SUBJECTS.presenceQuery, JSON.stringify(query), { timeout: this.timeoutMs });
      raw = msg.json();
    } catch (err) {
      this.failures.inc({ reason: 'unanswered' });
      this.logger.debug({ err }, 'presence query unanswered: treating users as offline');
      return result;
    }
    if (!replyValidator.check(raw)) {
      this.failures.inc({ reason: 'malformed' });
      this.logger.warn({ errors: replyValidator.errors(raw).slice(0, 3) }, 'malformed presence reply: treating users as offline');
      return result;
    }
    if (raw.error) {
      this.failures.inc({ reason: 'refused' });
      this.logger.warn({ code: raw.error.code, message: raw.error.message }, 'presence refused the query: treating users as offline');
      return result;
    }
    for (const s of raw.statuses) result.set(s.user_id, { status: s.status, lastSeenMs: s.last_seen });
    return result;
  }
}

export function isOnline(presence: UserPresence | undefined): boolean {
  return presence !== undefined && presence.status !== 'offline';
}
