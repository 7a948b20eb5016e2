import { expect } from 'chai';
import {
  deliveredPercent,
  isServerProcess,
  medianRun,
  ratioToFloor,
  roomLoadsOf,
  roomRepeatsOf,
  serverUsage,
  worstOverBest,
  highestHeldStep,
  cpuPerMessage,
} from '../src/load/side-by-side.js';
import { SCENARIOS, scenariosToRun } from '../src/scenarios/index.js';
import type { Scenario } from '../src/scenario.js';

describe('bench side by side with the floor: loads, ratios, steadiness, server usage', () => {
  it('reads room_loads as MEMBERSxRATE pairs, issue 32’s two by default, and refuses anything else', () => {
    expect(roomLoadsOf({})).to.deep.equal([
      { members: 1000, rate: 200 },
      { members: 200, rate: 500 },
    ]);
    expect(roomLoadsOf({ room_loads: '50x20' })).to.deep.equal([{ members: 50, rate: 20 }]);
    expect(roomLoadsOf({ room_loads: ' 10x5 , 3x1' })).to.deep.equal([
      { members: 10, rate: 5 },
      { members: 3, rate: 1 },
    ]);
    for (const bad of ['', '1000', '1x10', '1000x0', '1000x-5', '1e3x200', '20001x10', '10x20001', '10x5x2', '10x5,', 'ax5', '10X5'])
      expect(() => roomLoadsOf({ room_loads: bad }), bad).to.throw(/room_loads: expected MEMBERSxRATE/);
  });

  it('repeats NeonChat once unless told, up to 20 times', () => {
    expect(roomRepeatsOf({})).to.equal(1);
    expect(roomRepeatsOf({ room_repeats: '5' })).to.equal(5);
    for (const bad of ['0', '21', '1.5', '-1', '', 'five', '1e1'])
      expect(() => roomRepeatsOf({ room_repeats: bad }), bad).to.throw(/room_repeats: expected 1-20/);
  });

  it('divides NeonChat’s figure by the floor’s, and has no ratio to a floor of zero or less', () => {
    expect(ratioToFloor(65, 50)).to.equal(1.3);
    expect(ratioToFloor(0, 50)).to.equal(0);
    expect(ratioToFloor(10, 0)).to.be.NaN;
    expect(ratioToFloor(10, -1)).to.be.NaN;
    expect(ratioToFloor(10, NaN)).to.be.NaN;
    expect(ratioToFloor(Infinity, 5)).to.be.NaN;
  });

  it('gives worst over best of repeated p99s, and the median run as one run’s own figure', () => {
    expect(worstOverBest([40, 52, 44])).to.equal(1.3);
    expect(worstOverBest([31.6])).to.equal(1);
    expect(worstOverBest([])).to.be.NaN;
    expect(worstOverBest([0, 5])).to.be.NaN;
    expect(medianRun([105, 31.6, 68.8, 89.2, 47])).to.equal(68.8);
    expect(medianRun([4, 1, 3, 2])).to.equal(2);
    expect(medianRun([])).to.be.NaN;
  });

  it('counts deliveries over every acked message to every other member', () => {
    expect(deliveredPercent(199_800, 200, 999)).to.equal(100);
    expect(deliveredPercent(99_900, 200, 999)).to.equal(50);
    expect(deliveredPercent(0, 0, 999)).to.equal(0);
  });

  it('sums the servers’ CPU and the largest per-second sum of their RSS, leaving the load generator out', () => {
    expect(isServerProcess('client-1')).to.equal(false);
    expect(isServerProcess('gateway-1')).to.equal(true);
    expect(isServerProcess('client-api')).to.equal(true);
    const cpu = [
      { name: 'gateway-1', percent: 60 },
      { name: 'client-1', percent: 45 },
      { name: 'nats-server', percent: 20 },
      { name: 'client-2', percent: 40 },
    ];
    const rows: Array<Record<string, number>> = [
      { t: 1, 'gateway-1_rss_mib': 150, 'nats-server_rss_mib': 20, 'client-1_rss_mib': 500, 'gateway-1_cpu_pct': 60 },
      { t: 2, 'gateway-1_rss_mib': 160, 'nats-server_rss_mib': 25.4, 'client-1_rss_mib': 900 },
      { t: 3, 'gateway-1_rss_mib': 140, 'nats-server_rss_mib': 30 },
    ];
    expect(serverUsage(cpu, rows)).to.deep.equal({ cpuPct: 80, rssMiB: 185 });
    expect(serverUsage([], [])).to.deep.equal({ cpuPct: 0, rssMiB: 0 });
  });
});

describe('bench throughput against the floor: the highest step held', () => {
  const step = (rate: number, acked = rate * 10, ackP99 = 20, unacked = 0) => ({ rate, sent: rate * 10, acked, unacked, ackP99 });

  it('climbs until a step leaves a message unacked or has ack p99 of 100 ms or more', () => {
    expect(highestHeldStep([step(2000), step(4000), step(8000, 80_000, 99.9)], true)).to.equal(8000);
    expect(highestHeldStep([step(2000), step(4000, 39_999), step(8000)], true)).to.equal(2000);
    expect(highestHeldStep([step(2000), step(4000, 40_000, 100)], true)).to.equal(2000);
    expect(highestHeldStep([step(4000, 40_000, 5, 1), step(2000)], true)).to.equal(2000);
    expect(highestHeldStep([step(8000), step(2000, 20_000, 150)], true)).to.equal(0);
    expect(highestHeldStep([], true)).to.equal(0);
  });

  it('holds nothing when a run did not persist every acked message', () => {
    expect(highestHeldStep([step(2000), step(4000)], false)).to.equal(0);
  });

  it('gives CPU per stored message for the processes asked, NaN for one not sampled', () => {
    const got = cpuPerMessage({ cpuMsPerAcked: { 'nats-server': 0.05, persister: 0.03, postgres: 0.02, 'gateway-1': 0.2 } }, [
      'nats-server',
      'persister',
      'postgres',
      'redis',
    ]);
    expect(got).to.deep.include({ 'nats-server': 0.05, persister: 0.03, postgres: 0.02 });
    expect(got.redis).to.be.NaN;
  });
});

describe('bench scenario choice: the side-by-side scenarios run when asked', () => {
  const scenario = (name: string, whenAsked?: boolean): Scenario => ({
    name,
    description: name,
    ...(whenAsked ? { whenAsked } : {}),
    run: () => Promise.reject(new Error('not run here')),
  });
  const all = [scenario('sockets'), scenario('room', true), scenario('messages'), scenario('throughput', true)];
  const names = (list: Scenario[]) => list.map((s) => s.name);

  it('leaves them out of the quick run of everything, and keeps them in --full and when named', () => {
    expect(names(scenariosToRun(all, undefined, false))).to.deep.equal(['sockets', 'messages']);
    expect(names(scenariosToRun(all, undefined, true))).to.deep.equal(['sockets', 'room', 'messages', 'throughput']);
    expect(names(scenariosToRun(all, new Set(['room']), false))).to.deep.equal(['room']);
    expect(names(scenariosToRun(all, new Set(['messages', 'throughput']), true))).to.deep.equal(['messages', 'throughput']);
  });

  it('marks room, throughput, reconnect (it kills a gateway) and search, and only those, as run when asked', () => {
    expect(SCENARIOS.filter((s) => s.whenAsked).map((s) => s.name)).to.have.members(['room', 'throughput', 'reconnect', 'search']);
  });
});
