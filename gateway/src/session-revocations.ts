import { CLOSE_CODES } from '@neonchat/common/contracts';
import type { RevocationList } from '@neonchat/common/runtime';
import type { GatewayMetrics } from './metrics.js';
import type { Socket, SocketRegistry } from './socket-registry.js';

/**
 * Closes, with 4004 (`sessionEnded`), this gateway's sockets of a session the api ended: the
 * revocation list's watch delivers the entry to every gateway within milliseconds of the write.
 */
export function closeRevokedSockets(revocations: RevocationList, sockets: SocketRegistry, metrics: GatewayMetrics): void {
  revocations.onRevoked((event) => {
    const victims: Socket[] = [];
    for (const ws of sockets.ofUser(event.userId)) {
      const state = ws.getUserData();
      if (state.closed) continue;
      if (revocations.revoked({ user_id: state.userId, iat: state.tokenIat, sid: state.sessionId }) !== undefined) victims.push(ws);
    }
    for (const ws of victims) {
      metrics.errors.inc({ code: 'unauthorized' });
      if (!ws.getUserData().closed) ws.end(CLOSE_CODES.sessionEnded, 'session ended: log in again');
    }
  });
}
