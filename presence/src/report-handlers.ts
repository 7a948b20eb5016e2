import {
  type HeartbeatAck,
  SUBJECTS,
  connectionClosedValidator,
  connectionOpenedValidator,
  decodeJson,
  heartbeatValidator,
  statusReportValidator,
} from '@neonchat/common/contracts';
import type { Logger } from '@neonchat/common/runtime';
import type { PresenceAnnouncer } from './presence-announcer.js';
import type { PresenceMetrics } from './presence-metrics.js';
import type { PresenceReport, PresenceStore } from './presence-store.js';

/** What the handlers use of a NATS message (a core `Msg` is one; tests pass fakes). */
export interface PresenceMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply?: string;
  respond(data: string): boolean;
}

export interface ReportHandlersDeps {
  readonly store: Pick<PresenceStore, 'heartbeat'>;
  /** Where connect/disconnect/status reports go to be applied together (a `ReportBatcher`). */
  readonly reports: { push(report: PresenceReport): void };
  readonly announcer: Pick<PresenceAnnouncer, 'announce'>;
  readonly metrics: Pick<PresenceMetrics, 'reports' | 'failures' | 'heartbeatSeconds'>;
  readonly logger: Logger;
}

/**
 * The gateways' reports on `presence.report.*`: connect, disconnect and status are validated
 * and queued for the next batch; a heartbeat is applied at once and acknowledged to the
 * gateway. Anything that fails validation is counted and dropped (a heartbeat is answered
 * `ok: false`).
 */
export class ReportHandlers {
  private readonly heartbeatsInFlight = new Set<Promise<void>>();

  constructor(private readonly deps: ReportHandlersDeps) {}

  onReport(msg: PresenceMsg): void {
    const { metrics, reports } = this.deps;
    if (msg.subject === SUBJECTS.presenceHeartbeat) return this.onHeartbeat(msg);
    const body = decodeJson(msg.data);
    switch (msg.subject) {
      case SUBJECTS.presenceConnect:
        if (!connectionOpenedValidator.check(body)) return this.invalid(msg);
        metrics.reports.inc({ kind: 'connect' });
        return reports.push({
          kind: 'connect',
          user_id: body.user_id,
          connection_id: body.connection_id,
          device_id: body.device_id,
          at: body.at,
        });
      case SUBJECTS.presenceDisconnect:
        if (!connectionClosedValidator.check(body)) return this.invalid(msg);
        metrics.reports.inc({ kind: 'disconnect' });
        return reports.push({ kind: 'disconnect', user_id: body.user_id, connection_id: body.connection_id, at: body.at });
      case SUBJECTS.presenceStatus:
        if (!statusReportValidator.check(body)) return this.invalid(msg);
        metrics.reports.inc({ kind: 'status' });
        return reports.push({ kind: 'status', user_id: body.user_id, connection_id: body.connection_id, status: body.status, at: body.at });
      default:
        return this.invalid(msg);
    }
  }

  /** Resolves once every heartbeat taken so far is applied and answered. */
  async settled(): Promise<void> {
    await Promise.all(this.heartbeatsInFlight);
  }

  private onHeartbeat(msg: PresenceMsg): void {
    const { metrics, logger } = this.deps;
    const started = process.hrtime.bigint();
    const body = decodeJson(msg.data);
    if (!heartbeatValidator.check(body)) {
      this.invalid(msg);
      if (msg.reply) msg.respond(JSON.stringify({ ok: false, connections: 0 } satisfies HeartbeatAck));
      return;
    }
    metrics.reports.inc({ kind: 'heartbeat' });
    const done: Promise<void> = this.deps.store
      .heartbeat(body)
      .then((transitions) => {
        this.deps.announcer.announce(transitions);
        metrics.heartbeatSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        if (msg.reply) msg.respond(JSON.stringify({ ok: true, connections: body.connections.length } satisfies HeartbeatAck));
      })
      .catch((err: unknown) => {
        metrics.failures.inc({ stage: 'heartbeat' });
        logger.error({ err, gateway_id: body.gateway_id, connections: body.connections.length }, 'heartbeat not applied');
        if (msg.reply) msg.respond(JSON.stringify({ ok: false, connections: 0 } satisfies HeartbeatAck));
      })
      .finally(() => this.heartbeatsInFlight.delete(done));
    this.heartbeatsInFlight.add(done);
  }

  private invalid(msg: PresenceMsg): void {
    this.deps.metrics.reports.inc({ kind: 'invalid' });
    this.deps.logger.warn({ subject: msg.subject, bytes: msg.data.length }, 'invalid presence report dropped');
  }
}
