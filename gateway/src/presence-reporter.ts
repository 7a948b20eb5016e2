import type { NatsConnection } from '@nats-io/nats-core';
import { SUBJECTS, type ConnectionClosedReport, type ConnectionOpenedReport, type Logger } from '@neonchat/common';

/** Reports this gateway's sockets to the presence service over core NATS, at once. */
export class PresenceReporter {
  constructor(
    private readonly nc: NatsConnection,
    private readonly gatewayId: string,
    private readonly logger: Logger,
  ) {}

  connected(connectionId: string, userId: string): void {
    const report: ConnectionOpenedReport = { gateway_id: this.gatewayId, connection_id: connectionId, user_id: userId, at: Date.now() };
    this.publish(SUBJECTS.presenceConnect, report);
  }

  disconnected(connectionId: string, userId: string): void {
    const report: ConnectionClosedReport = { gateway_id: this.gatewayId, connection_id: connectionId, user_id: userId, at: Date.now() };
    this.publish(SUBJECTS.presenceDisconnect, report);
  }

  private publish(subject: string, report: object): void {
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    try {
      this.nc.publish(subject, JSON.stringify(report));
    } catch (err) {
      this.logger.warn({ err, subject }, 'presence report not sent');
    }
  }
}
