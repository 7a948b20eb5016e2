import { expect } from 'chai';
import { moduleOf, summarizeProfile, type CpuProfile } from '../src/profile-summary.js';

// root → handler (gateway) → publish (jetstream) ; root → (idle) ; root → (garbage collector)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 4, 5] },
    { id: 2, callFrame: { functionName: 'handleFrame', url: 'file:///work/main/gateway/dist/gateway.js', lineNumber: 9 }, children: [3] },
    {
      id: 3,
      callFrame: { functionName: 'publish', url: 'file:///work/main/node_modules/@nats-io/jetstream/lib/jsclient.js', lineNumber: 0 },
    },
    { id: 4, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: 5, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
  ],
  // 1 ms per sample: 3 in publish, 1 in handleFrame, 4 idle, 2 GC.
  samples: [3, 3, 3, 2, 4, 4, 4, 4, 5, 5],
  timeDeltas: Array.from({ length: 10 }, () => 1000),
};

describe('profile summary', () => {
  it('names packages, our source files and V8 pseudo-frames', () => {
    expect(moduleOf('file:///x/node_modules/@nats-io/jetstream/lib/a.js', 'f')).to.equal('@nats-io/jetstream');
    expect(moduleOf('file:///x/node_modules/pg/lib/client.js', 'f')).to.equal('pg');
    expect(moduleOf('file:///work/main/gateway/dist/outbound.js', 'f')).to.equal('gateway/outbound');
    expect(moduleOf('node:internal/streams/writable', 'f')).to.equal('node:internal');
    expect(moduleOf('', '(garbage collector)')).to.equal('(garbage collector)');
  });

  it('ranks self time and inclusive time per module, idle left out', () => {
    const s = summarizeProfile(profile);
    expect(s.busyMs).to.equal(6);
    expect(s.idleMs).to.equal(4);
    expect(s.selfTime[0]).to.deep.equal({ name: 'publish (@nats-io/jetstream:1)', ms: 3, share: 50 });
    expect(s.byModule.find((m) => m.name === 'gateway/gateway')).to.include({ ms: 4 });
    expect(s.byModule.find((m) => m.name === '(garbage collector)')).to.include({ ms: 2 });
  });

  it('keeps only the samples inside a time window', () => {
    const s = summarizeProfile(profile, 15, { fromS: 0.0045, toS: 0.01 });
    expect(s.busyMs).to.equal(2);
    expect(s.selfTime).to.have.length(1);
  });
});
