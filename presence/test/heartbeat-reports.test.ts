import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { HEARTBEAT_MAX_CONNECTIONS, heartbeatValidator, heartbeatReports } from '@neonchat/common';

describe('heartbeatReports', () => {
  it('splits a large gateway into reports under the NATS default max payload, losing none', () => {
    const gatewayId = `gw-${randomUUID()}`;
    const connections = Array.from({ length: 19000 }, () => ({ connection_id: `${gatewayId}:${randomUUID()}`, user_id: randomUUID() }));
    const reports = heartbeatReports(gatewayId, connections, 1234);
    expect(reports).to.have.length(Math.ceil(19000 / HEARTBEAT_MAX_CONNECTIONS));
    expect(reports.flatMap((r) => r.connections)).to.deep.equal(connections);
    for (const r of reports) {
      expect(heartbeatValidator.check(r)).to.equal(true);
      expect(r).to.include({ gateway_id: gatewayId, at: 1234 });
      expect(Buffer.byteLength(JSON.stringify(r))).to.be.below(1024 * 1024);
    }
  });

  it('sends nothing for a gateway without sockets', () => {
    expect(heartbeatReports('gw', [])).to.deep.equal([]);
  });
});
