import { expect } from 'chai';
import { warmupNote, warmupSecondsOf, type PhaseResult } from '../src/load/send-phase.js';
import { GATEWAY_NODE_FLAGS } from '@neonchat/gateway/node-flags';
import { gatewayImplOf, gatewayNodeFlagsOf, gatewayReport } from '../src/load/load-session.js';

describe('bench parameters: warm-up, gateway implementation and Node options', () => {
  it('warms up 5 s unless told, takes 0 to skip, and refuses what is not a whole number of seconds up to 600', () => {
    expect(warmupSecondsOf({})).to.equal(5);
    expect(warmupSecondsOf({ warmup_s: '0' })).to.equal(0);
    expect(warmupSecondsOf({ warmup_s: '30' })).to.equal(30);
    for (const bad of ['-1', '1.5', 'abc', '601', ''])
      expect(() => warmupSecondsOf({ warmup_s: bad }), bad).to.throw(/warmup_s: expected 0-600/);
  });

  it('reports the warm-up with its figures, as not counted, and says so when there is none', () => {
    const phase = {
      rate: 2000,
      durationS: 5,
      ackedPerSecond: 1999.4,
      totals: { delivery: { p50: 2.25, p99: 48.04 } },
    } as unknown as PhaseResult;
    expect(warmupNote(phase)).to.equal(
      'Warm-up before the measured phases (not counted in any figure): 2000 msg/s for 5 s, acked 1999/s, send → receive p50 / p99 2.3 / 48.0 ms.',
    );
    expect(warmupNote(undefined)).to.match(/No warm-up \(warmup_s=0\)/);
  });

  it('runs the gateway unless the floor is asked for, and the floor as one process only', () => {
    expect(gatewayImplOf({})).to.equal('neonchat');
    expect(gatewayImplOf({ gateway_impl: 'floor' })).to.equal('floor');
    expect(() => gatewayImplOf({ gateway_impl: 'nginx' })).to.throw(/expected neonchat or floor/);
    expect(() => gatewayImplOf({ gateway_impl: 'floor', gateway_workers: '2' })).to.throw(/one process per gateway/);
  });

  it('starts the gateways with the Node options their launchers pass, others when told, or none', () => {
    expect(gatewayNodeFlagsOf({})).to.deep.equal(GATEWAY_NODE_FLAGS);
    expect(gatewayNodeFlagsOf({ gateway_node_flags: '' })).to.deep.equal([]);
    expect(gatewayNodeFlagsOf({ gateway_node_flags: ' --max-semi-space-size=64  --min-semi-space-size=64 ' })).to.deep.equal([
      '--max-semi-space-size=64',
      '--min-semi-space-size=64',
    ]);
    expect(() => gatewayNodeFlagsOf({ gateway_node_flags: '--trace-gc rm' })).to.throw(
      /gateway_node_flags: expected Node options .* got rm/,
    );
  });

  it("reports how the gateways ran, with the floor's note only for the floor", () => {
    const flags = GATEWAY_NODE_FLAGS.join(' ');
    expect(gatewayReport({})).to.deep.equal({
      parameters: { gateway_workers: 1, gateway_impl: 'neonchat', gateway_node_flags: flags },
      notes: [],
    });
    expect(gatewayReport({ gateway_node_flags: '' }).parameters.gateway_node_flags).to.equal('');
    const floor = gatewayReport({ gateway_impl: 'floor' });
    expect(floor.parameters).to.deep.equal({ gateway_workers: 1, gateway_impl: 'floor', gateway_node_flags: flags });
    expect(floor.notes).to.have.length(1);
    expect(floor.notes[0]).to.match(/floor server .* nothing goes to JetStream or PostgreSQL/);
  });
});
