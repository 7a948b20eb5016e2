import { expect } from 'chai';
import { heartbeatReports, HEARTBEAT_MAX_CONNECTIONS, uuidv7 } from '@neonchat/common';

describe('heartbeatReports', () => {
  it('splits a large gateway into reports that each fit in one NATS message', () => {
    const connections = Array.from({ length: 19_000 }, (_, i) => ({ connection_id: `gw-1:${i}-${uuidv7()}`, user_id: uuidv7() }));
    const reports = heartbeatReports('gw-1', connections, 1000);
    expect(reports).to.have.length(Math.ceil(19_000 / HEARTBEAT_MAX_CONNECTIONS));
    expect(reports.flatMap((r) => r.connections)).to.deep.equal(connections);
    for (const r of reports) expect(Buffer.byteLength(JSON.stringify(r))).to.be.below(1024 * 1024);
  });

  it('sends nothing for no connections', () => {
    expect(heartbeatReports('gw-1', [])).to.deep.equal([]);
  });
});
