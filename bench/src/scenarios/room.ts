import type { Figure, Scenario, ScenarioContext, ScenarioResult } from '../scenario.js';
import { runWarmup, warmupSecondsOf } from '../load/send-phase.js';
import { atLeast, below, figure } from '../load/figures.js';
import { PER_SENDER_PER_S, measureStep, openRoom, overloadLine, runOverload, type Overload, type Step } from './fanout-saturation.js';
import {
  deliveredPercent,
  medianRun,
  ratioToFloor,
  roomLoadsOf,
  roomRepeatsOf,
  serverUsage,
  worstOverBest,
  type RoomLoad,
} from '../load/side-by-side.js';

type Side = 'floor' | 'neonchat';
const SIDES: readonly Side[] = ['floor', 'neonchat'];
/** Issue 32: NeonChat's p99 ≤ 1.3× the floor's, and its worst of repeated runs ≤ 1.3× its best. */
const RATIO_TARGET = 1.3;
/** Issue 32: what the overload keeps reaches members with p99 < 1 s. */
const OVERLOAD_P99_MS = 1000;

/** One side's run of one load: the measured step, the servers' usage in it, and the overload when it was run. */
interface RoomRun {
  readonly side: Side;
  readonly step: Step;
  readonly deliveredPct: number;
  readonly serverCpuPct: number;
  readonly serverRssMiB: number;
  readonly cpuLine: string;
  readonly overload?: { readonly o: Overload; readonly serverRssMiB: number; readonly deliveredPct: number };
}

interface RoomPlan {
  readonly stepS: number;
  readonly warmupS: number;
  readonly overloadRate: number;
  readonly overloadS: number;
  /** Only the load with the most members gets the overload step. */
  readonly overloadMembers: number;
}

/** One fresh session of `side` with the room of `load`: warm-up, the measured step, then the overload if asked. */
async function runSide(ctx: ScenarioContext, side: Side, load: RoomLoad, plan: RoomPlan, withOverload: boolean): Promise<RoomRun> {
  const sideCtx: ScenarioContext = { ...ctx, params: { ...ctx.params, gateway_impl: side }, log: (m) => ctx.log(`${side}: ${m}`) };
  const topRate = Math.max(load.rate, withOverload ? plan.overloadRate : 0);
  const senders = Math.min(load.members, Math.max(10, Math.ceil(topRate / PER_SENDER_PER_S)));
  const receivers = load.members - 1;
  const { session } = await openRoom(sideCtx, load.members, senders, 1);
  try {
    await runWarmup(session, load.rate, plan.warmupS);
    const step = await measureStep(session, 1, load.rate, plan.stepS, receivers);
    const { from, to } = step.phase;
    const usage = serverUsage(session.cpuDuring(from, to), session.timeline.rows(from, to));
    const cpuLine = session.cpuLine(from, to);
    sideCtx.log(`${load.members} members at ${load.rate} msg/s: p99 ${step.phase.totals.delivery.p99.toFixed(1)} ms; ${cpuLine}`);
    let overload: RoomRun['overload'];
    if (withOverload) {
      const o = await runOverload(session, 1, plan.overloadRate, plan.overloadS, load.rate);
      const rows = session.timeline.rows(o.phase.from, o.recovery.from);
      overload = {
        o,
        serverRssMiB: serverUsage([], rows).rssMiB,
        deliveredPct: deliveredPercent(o.phase.totals.delivered, o.phase.totals.sent, receivers),
      };
      sideCtx.log(overloadLine(o));
    }
    return {
      side,
      step,
      deliveredPct: deliveredPercent(step.phase.totals.delivered, step.phase.totals.acked, receivers),
      serverCpuPct: usage.cpuPct,
      serverRssMiB: usage.rssMiB,
      cpuLine,
      ...(overload ? { overload } : {}),
    };
  } finally {
    await session.close();
  }
}

function sideFigures(label: string, run: RoomRun): Figure[] {
  const d = run.step.phase.totals.delivery;
  return [
    figure(`${label}: send → receive p50`, d.p50, 'ms'),
    figure(`${label}: send → receive p99`, d.p99, 'ms'),
    figure(`${label}: send → receive max`, d.max, 'ms'),
    figure(`${label}: delivered`, run.deliveredPct, '%'),
    figure(`${label}: messages some member missed`, run.step.missed, 'messages'),
    figure(`${label}: server processes CPU`, run.serverCpuPct, '% of a core'),
    figure(`${label}: server processes RSS (max of the sum)`, run.serverRssMiB, 'MiB'),
  ];
}

function loadFigures(load: RoomLoad, floor: RoomRun, neonchat: RoomRun[]): Figure[] {
  const label = `${load.members} members at ${load.rate} msg/s`;
  const p99s = neonchat.map((r) => r.step.phase.totals.delivery.p99);
  const median = medianRun(p99s);
  const typical = neonchat.find((r) => r.step.phase.totals.delivery.p99 === median) ?? neonchat[0]!;
  const ratio = ratioToFloor(median, floor.step.phase.totals.delivery.p99);
  const figures = [
    ...sideFigures(`${label}, floor`, floor),
    ...sideFigures(`${label}, NeonChat${neonchat.length > 1 ? ' (median run by p99)' : ''}`, typical),
    figure(`${label}: p99 NeonChat / floor`, ratio, '×', below(RATIO_TARGET + 1e-9, `≤ ${RATIO_TARGET}× (ours)`)),
    figure(
      `${label}: p50 NeonChat / floor`,
      ratioToFloor(typical.step.phase.totals.delivery.p50, floor.step.phase.totals.delivery.p50),
      '×',
    ),
    figure(`${label}: server CPU NeonChat / floor`, ratioToFloor(typical.serverCpuPct, floor.serverCpuPct), '×'),
  ];
  if (neonchat.length > 1)
    figures.push(
      figure(
        `${label}: NeonChat p99 worst / best of ${neonchat.length} runs`,
        worstOverBest(p99s),
        '×',
        below(RATIO_TARGET + 1e-9, `≤ ${RATIO_TARGET}× (ours)`),
      ),
    );
  return figures;
}

function overloadFigures(label: string, run: RoomRun): Figure[] {
  if (!run.overload) return [];
  const { o, serverRssMiB, deliveredPct } = run.overload;
  const shed = o.unavailable + o.closed4008 + o.otherCloses;
  const target = run.side === 'neonchat' ? [below(OVERLOAD_P99_MS, '< 1,000 ms (ours)')] : [];
  return [
    figure(`${label}: delivered of what was sent`, deliveredPct, '%'),
    figure(`${label}: per delivery p50`, o.phase.totals.delivery.p50, 'ms'),
    figure(`${label}: per delivery p99 (of what is delivered)`, o.phase.totals.delivery.p99, 'ms', ...target),
    figure(`${label}: shed (unavailable answers + sockets closed)`, shed, 'sends + sockets'),
    figure(`${label}: sockets closed with 4008`, o.closed4008, 'sockets'),
    figure(`${label}: gateway peak RSS (drain included)`, o.gatewayRssMiB, 'MiB'),
    figure(`${label}: server processes peak RSS (sum)`, serverRssMiB, 'MiB'),
    figure(
      `${label}: then ${o.recovery.rate} msg/s holds again (1 = yes)`,
      o.recovered ? 1 : 0,
      '',
      ...(run.side === 'neonchat' ? [atLeast(1, 'yes')] : []),
    ),
  ];
}

function runNote(load: RoomLoad, run: RoomRun, index: number): string {
  const d = run.step.phase.totals.delivery;
  return `${load.members} members at ${load.rate} msg/s, ${run.side}${run.side === 'neonchat' ? ` run ${index + 1}` : ''}: p50 / p99 / max ${d.p50.toFixed(1)} / ${d.p99.toFixed(1)} / ${d.max.toFixed(1)} ms, delivered ${run.deliveredPct.toFixed(2)} %, missed ${run.step.missed}, closed ${run.step.closes}; CPU ${run.cpuLine}; server RSS ${run.serverRssMiB} MiB`;
}

/**
 * Issue 32: the same one-room load against the floor server and NeonChat back to back, each in
 * a fresh session (database, services, clients), so the ratio compares two runs of one box
 * minutes apart. The room, the step and the overload are fanout_saturation's.
 */
export const roomScenario: Scenario = {
  // Two full sessions per load (the floor's and NeonChat's): too long for the quick run.
  whenAsked: true,
  name: 'room',
  description:
    'One-room loads (room_loads=1000x200,200x500) against the floor server, then NeonChat (room_repeats=N runs back to back): p50/p99/max, delivered %, server CPU and RSS, NeonChat/floor ratios; then overload_rate into the largest room on each side.',
  async run(ctx): Promise<ScenarioResult> {
    const loads = roomLoadsOf(ctx.params);
    const repeats = roomRepeatsOf(ctx.params);
    const plan: RoomPlan = {
      stepS: Number(ctx.params.room_seconds ?? (ctx.quick ? 8 : 20)),
      warmupS: warmupSecondsOf(ctx.params),
      overloadRate: Number(ctx.params.overload_rate ?? 1000),
      overloadS: Number(ctx.params.overload_seconds ?? 12),
      overloadMembers: Math.max(...loads.map((l) => l.members)),
    };
    if (!Number.isInteger(plan.stepS) || plan.stepS < 1 || plan.stepS > 600)
      throw new Error(`--set room_seconds: expected 1-600, got ${ctx.params.room_seconds}`);
    const figures: Figure[] = [];
    const notes: string[] = [];
    for (const load of loads) {
      const runs: Record<Side, RoomRun[]> = { floor: [], neonchat: [] };
      for (const side of SIDES)
        for (let i = 0; i < (side === 'neonchat' ? repeats : 1); i++) {
          const withOverload = plan.overloadRate > 0 && i === 0 && load.members === plan.overloadMembers;
          runs[side].push(await runSide(ctx, side, load, plan, withOverload));
        }
      figures.push(...loadFigures(load, runs.floor[0]!, runs.neonchat));
      for (const side of SIDES) {
        runs[side].forEach((r, i) => notes.push(runNote(load, r, i)));
        figures.push(...overloadFigures(`overload ${plan.overloadRate} msg/s into ${load.members} members, ${side}`, runs[side][0]!));
        if (runs[side][0]!.overload) notes.push(`${side}: ${overloadLine(runs[side][0]!.overload.o)}`);
      }
    }
    return {
      scenario: 'room',
      description: roomScenario.description,
      parameters: {
        room_loads: loads.map((l) => `${l.members}x${l.rate}`).join(','),
        room_repeats: repeats,
        step_s: plan.stepS,
        warmup_s: plan.warmupS,
        overload_rate: plan.overloadRate,
        overload_s: plan.overloadS,
        gateway_node_flags: ctx.params.gateway_node_flags ?? '(default)',
      },
      figures,
      notes: [
        ...notes,
        'Each run is a fresh session (database, services, client workers) with one gateway process, the floor first, then NeonChat; each warms up warmup_s at the load’s rate first (counted in no figure).',
        'Delivered % is deliveries over (acked messages × other members); in the overload, over (sent × other members). Server processes are every sampled process but the load generator’s (client-N): gateway, nats-server, PostgreSQL with its backends, Redis, the api, persister and presence (started on both sides; the floor leaves the last three idle). PostgreSQL’s RSS counts shared buffers once per backend, so the sum overstates memory: compare it side to side, not as an absolute.',
        'Ratios take NeonChat’s median run by p99 (the lower middle one of an even count). Shed = sends answered unavailable + sockets the gateway closed.',
      ],
    };
  },
};
