import { type PresenceQueryReply, decodeJson, presenceQueryValidator } from '@neonchat/common/contracts';
import type { Logger } from '@neonchat/common/runtime';
import type { PresenceMetrics } from './presence-metrics.js';
import type { PresenceStore } from './presence-store.js';
import type { PresenceMsg } from './report-handlers.js';

export interface QueryHandlerDeps {
  readonly store: Pick<PresenceStore, 'statuses'>;
  /** Unix ms of each offline user's last_seen (`LastSeenStore.lastSeen`). */
  readonly lastSeen: (userIds: readonly string[]) => Promise<Map<string, number>>;
  /** The largest reply NATS carries (`nc.info.max_payload`). */
  readonly maxPayload: () => number;
  readonly metrics: Pick<PresenceMetrics, 'failures'>;
  readonly logger: Logger;
}

/**
 * `presence.query`: the status of each user asked for, in the order asked, with last_seen for
 * the offline ones. Always answers: an invalid query, a Redis outage or a reply too large for
 * NATS is answered with an `error` code from the contract.
 */
export class QueryHandler {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: QueryHandlerDeps) {}

  /** Answers `msg` in the background; failures to answer are counted and logged. */
  onQuery(msg: PresenceMsg): void {
    const done: Promise<void> = this.answer(msg)
      .catch((err: unknown) => {
        this.deps.metrics.failures.inc({ stage: 'query' });
        this.deps.logger.error({ err }, 'presence query not answered');
      })
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /** Resolves once every query taken so far is answered. */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  async answer(msg: PresenceMsg): Promise<void> {
    const { metrics, logger } = this.deps;
    const body = decodeJson(msg.data);
    if (!presenceQueryValidator.check(body)) {
      const [first] = presenceQueryValidator.errors(body);
      return this.reply(msg, {
        statuses: [],
        error: { code: 'validation_failed', message: first ? `${first.path || 'query'}: ${first.message}` : 'invalid query' },
      });
    }
    let statuses;
    try {
      statuses = await this.deps.store.statuses(body.user_ids);
    } catch (err) {
      metrics.failures.inc({ stage: 'query' });
      logger.error({ err, users: body.user_ids.length }, 'presence query failed');
      return this.reply(msg, { statuses: [], error: { code: 'unavailable', message: 'presence is unavailable, try again' } });
    }
    const offline = body.user_ids.filter((_, i) => statuses[i] === undefined);
    let seen = new Map<string, number>();
    try {
      seen = await this.deps.lastSeen(offline);
    } catch (err) {
      // Who is online is the answer; last_seen is a courtesy, so a PostgreSQL outage degrades to null.
      metrics.failures.inc({ stage: 'last_seen' });
      logger.error({ err, users: offline.length }, 'last_seen not read');
    }
    this.reply(msg, {
      statuses: body.user_ids.map((user_id, i) => {
        const s = statuses[i];
        return s
          ? { user_id, status: s.status, last_seen: s.last_seen }
          : { user_id, status: 'offline' as const, last_seen: seen.get(user_id) ?? null };
      }),
    });
  }

  private reply(msg: PresenceMsg, r: PresenceQueryReply): void {
    const data = JSON.stringify(r);
    const max = this.deps.maxPayload();
    if (Buffer.byteLength(data) > max) {
      this.deps.metrics.failures.inc({ stage: 'query' });
      msg.respond(
        JSON.stringify({
          statuses: [],
          error: {
            code: 'payload_too_large',
            message: `the reply exceeds the NATS max payload (${max} bytes): ask for fewer users at once`,
          },
        } satisfies PresenceQueryReply),
      );
      return;
    }
    msg.respond(data);
  }
}
