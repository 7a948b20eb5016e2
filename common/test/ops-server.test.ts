import { expect } from 'chai';
import { createMetricsRegistry, startOpsServer } from '@neonchat/common';

describe('ops server', () => {
  it('serves healthz, readyz (following the probe) and metrics', async () => {
    let ready = false;
    const ops = await startOpsServer({ host: '127.0.0.1', port: 0, metrics: createMetricsRegistry('test'), isReady: () => ready });
    try {
      const base = `http://127.0.0.1:${ops.port}`;
      expect((await fetch(`${base}/healthz`)).status).to.equal(200);
      expect((await fetch(`${base}/readyz`)).status).to.equal(503);
      ready = true;
      expect((await fetch(`${base}/readyz`)).status).to.equal(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).to.include('process_cpu_user_seconds_total');
      expect((await fetch(`${base}/nope`)).status).to.equal(404);
    } finally {
      await ops.close();
    }
  });
});
