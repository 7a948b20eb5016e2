import {
  SUBJECTS,
  heartbeatReports,
  type ConnectionClosedReport,
  type ConnectionOpenedReport,
  type StatusReport,
} from '@neonchat/common/contracts';
import { type Logger } from '@neonchat/common/runtime';
import type { ChatBus } from './bus/chat-bus.js';

export interface LiveConnection {
  readonly connection_id: string;
  readonly user_id: string;
}

/**
 * Reports this gateway's sockets to the presence service over core NATS: opens and closes at
 * once, and every live connection per interval in a few heartbeat messages of a few thousand
 * connections each (never a message per socket, and never one message over NATS's payload
 * limit), which keeps the presence keys' TTLs alive.
 */
export class PresenceReporter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: Pick<ChatBus, 'publish'>,
    private readonly gatewayId: string,
    private readonly logger: Logger,
    private readonly onError: () => void,
  ) {}

  startHeartbeats(intervalMs: number, connections: () => LiveConnection[]): void {
    this.timer = setInterval(() => this.heartbeat(connections()), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  heartbeat(connections: LiveConnection[]): void {
    if (!connections.length) return;
    for (const report of heartbeatReports(this.gatewayId, connections)) this.publish(SUBJECTS.presenceHeartbeat, report);
  }

  connected(connectionId: string, userId: string): void {
    const report: ConnectionOpenedReport = { gateway_id: this.gatewayId, connection_id: connectionId, user_id: userId, at: Date.now() };
    this.publish(SUBJECTS.presenceConnect, report);
  }

  disconnected(connectionId: string, userId: string): void {
    const report: ConnectionClosedReport = { gateway_id: this.gatewayId, connection_id: connectionId, user_id: userId, at: Date.now() };
    this.publish(SUBJECTS.presenceDisconnect, report);
  }

  status(connectionId: string, userId: string, status: StatusReport['status']): void {
    const report: StatusReport = { gateway_id: this.gatewayId, connection_id: connectionId, user_id: userId, status, at: Date.now() };
    this.publish(SUBJECTS.presenceStatus, report);
  }

  private publish(subject: string, report: object): void {
    try {
      // The bus drops it while closing or closed.
      this.bus.publish(subject, JSON.stringify(report));
    } catch (err) {
      this.onError();
      this.logger.warn({ err, subject }, 'presence report not sent');
    }
  }
}
