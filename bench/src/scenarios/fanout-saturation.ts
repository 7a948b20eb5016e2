import type { Figure, Scenario, ScenarioContext, ScenarioResult } from '../scenario.js';
import type { OpenResult } from '../load/worker-pool.js';
import { LoadSession, gatewayReport } from '../load/load-session.js';
import { runSendPhase, runWarmup, warmupNote, warmupSecondsOf, type PhaseResult } from '../load/send-phase.js';
import { SERVER_PROCESSES_NOTE, atLeast, below, errorCount, errorSummary, figure, mergeErrors, processRows } from '../load/figures.js';

function plot(gateways: number) {
  const names = gatewayNames(gateways);
  return [
    { title: 'Deliveries', unit: 'per second', series: ['delivered_per_s'] },
    { title: 'Latency per delivery', unit: 'ms', series: ['delivery_p50_ms', 'delivery_p99_ms'] },
    {
      title: 'CPU',
      unit: '% of a core',
      series: [...names.map((n) => `${n}_cpu_pct`), 'nats-server_cpu_pct', 'client-1_cpu_pct', 'client-2_cpu_pct'],
    },
    { title: 'Gateway memory', unit: 'MiB', series: names.map((n) => `${n}_rss_mib`) },
  ];
}

/** The sampler's names of the gateway processes: gateway-1 … gateway-N. */
function gatewayNames(gateways: number): string[] {
  return Array.from({ length: gateways }, (_, i) => `gateway-${i + 1}`);
}

/** The gateways' CPU summed (% of one core) and their largest RSS over timeline seconds [from, to). */
export function gatewayUsage(session: LoadSession, gateways: number, from: number, to: number): { cpuPct: number; rssMiB: number } {
  const names = gatewayNames(gateways);
  const cpu = session.cpuDuring(from, to);
  const rows = session.timeline.rows(from, to);
  return {
    cpuPct: names.reduce((sum, name) => sum + (cpu.find((c) => c.name === name)?.percent ?? 0), 0),
    rssMiB: Math.max(0, ...rows.flatMap((r) => names.map((n) => r[`${n}_rss_mib`] ?? 0))),
  };
}

/** A step holds while every member gets every message and p99 per delivery stays under this. */
const HOLD_P99_MS = 100;
/** Senders per step's rate: the gateway allows each socket 20 frames/s sustained. */
export const PER_SENDER_PER_S = 15;
/** Pause before the overload step and before the recovery step: what queued before drains. */
const SETTLE_MS = 3000;
/** The recovery step: a normal rate after the overload, on the sockets still open. */
const RECOVERY_S = 5;

/** The overload step (`overload_rate`) and the normal rate run after it. */
export interface Overload {
  readonly phase: PhaseResult;
  readonly gatewayRssMiB: number;
  readonly gatewayCpuPct: number;
  readonly unavailable: number;
  readonly closed4008: number;
  readonly otherCloses: number;
  readonly recovery: PhaseResult;
  /** Sockets open when the recovery step started. */
  readonly openAfter: number;
  readonly recoveryMissed: number;
  readonly recovered: boolean;
}

export interface Step {
  readonly phase: PhaseResult;
  /** Messages acked in the step that did not reach every other member. */
  readonly missed: number;
  readonly closes: number;
  readonly gatewayCpuPct: number;
  readonly clientCpuPct: number;
  readonly gatewayRssMiB: number;
  readonly holds: boolean;
}

/**
 * Ours: how far one gateway carries fan-out into a 1,000-member group. The offered rate goes
 * up step by step until a step breaks (p99 per delivery over 100 ms, or any member missing any
 * message); the highest step that held is the figure, with its CPU and memory, and the first
 * step that broke shows how overload degrades (slow sockets cut, memory bounded).
 */
export const fanoutSaturationScenario: Scenario = {
  name: 'fanout_saturation',
  description:
    'One 1,001-member group on one gateway (saturation_gateways=N spreads it over N), offered rate stepped up until p99 per delivery > 100 ms or a member misses a message.',
  async run(ctx): Promise<ScenarioResult> {
    const members = Number(ctx.params.fanout_members ?? 1001);
    const rates = (ctx.params.saturation_rates ?? (ctx.quick ? '50,100,200,300,400' : '20,50,100,150,200,250,300,400,500,700'))
      .split(',')
      .map(Number);
    const stepS = Number(ctx.params.saturation_seconds ?? (ctx.quick ? 5 : 10));
    // After the stepped search: this rate for overload_seconds (0 skips it), then a normal rate.
    const overloadRate = Number(ctx.params.overload_rate ?? 1000);
    const overloadS = Number(ctx.params.overload_seconds ?? 12);
    const senders = Math.min(members, Math.max(10, Math.ceil(Math.max(...rates, overloadRate) / PER_SENDER_PER_S)));
    const expected = members - 1;
    // 1 by default: how far one gateway process carries a room; N shows the same room over N.
    const gateways = Math.max(1, Math.min(8, Number(ctx.params.saturation_gateways ?? 1)));
    const warmupS = warmupSecondsOf(ctx.params);
    const gateway = gatewayReport(ctx.params);
    const { session, opened } = await openRoom(ctx, members, senders, gateways);
    try {
      const warmup = await runWarmup(session, rates[0]!, warmupS);
      const steps: Step[] = [];
      for (const rate of rates) {
        const step = await measureStep(session, gateways, rate, stepS, expected);
        steps.push(step);
        ctx.log(
          `${rate} msg/s: ${step.phase.deliveredPerSecond.toFixed(0)} deliveries/s, p99 ${step.phase.totals.delivery.p99.toFixed(1)} ms, missed ${step.missed}, closes ${step.closes}, gateway ${step.gatewayCpuPct} % / ${step.gatewayRssMiB} MiB: ${step.holds ? 'holds' : 'breaks'}`,
        );
        if (!step.holds) break;
      }
      const best = [...steps].reverse().find((s) => s.holds);
      const overload =
        overloadRate > 0 ? await runOverload(session, gateways, overloadRate, overloadS, best?.phase.rate ?? rates[0]!) : undefined;
      if (overload) ctx.log(overloadLine(overload));
      const usage = session.stopSampling();
      const broke = steps.find((s) => !s.holds);
      const cpuPer1000 = (s: Step) => (s.gatewayCpuPct * 10 * (s.phase.to - s.phase.from) * 1000) / Math.max(1, s.phase.totals.delivered);
      const errors = mergeErrors(
        opened.errors,
        ...(warmup ? [warmup.totals.errors] : []),
        ...steps.map((s) => s.phase.totals.errors),
        ...(overload ? [overload.phase.totals.errors, overload.recovery.totals.errors] : []),
      );
      const stepFigures = (label: string, s: Step): Figure[] => [
        figure(`${label}: offered`, s.phase.rate, 'msg/s'),
        figure(`${label}: deliveries`, s.phase.deliveredPerSecond, 'deliveries/s', atLeast(200_000, '≥ 200,000/s (ours)')),
        figure(`${label}: per delivery p50`, s.phase.totals.delivery.p50, 'ms'),
        figure(`${label}: per delivery p99`, s.phase.totals.delivery.p99, 'ms', below(50, '< 50 ms (ours)')),
        figure(`${label}: messages some member missed`, s.missed, 'messages', below(1, '0')),
        figure(`${label}: sockets closed`, s.closes, 'sockets'),
        figure(`${label}: gateway CPU per 1,000 deliveries`, cpuPer1000(s), 'ms'),
        figure(`${label}: gateway CPU`, s.gatewayCpuPct, '% of a core'),
        figure(`${label}: gateway RSS (max)`, s.gatewayRssMiB, 'MiB'),
        figure(`${label}: load generator CPU`, s.clientCpuPct, '% of a core'),
      ];
      const figures: Figure[] = [
        figure('members connected', opened.held, 'sockets', atLeast(members, String(members))),
        figure('highest step that holds', best?.phase.rate ?? 0, 'msg/s', atLeast(200, '≥ 200 msg/s = 200,000 deliveries/s (ours)')),
        ...(best ? stepFigures('highest holding step', best) : []),
        ...(broke ? stepFigures('first step that breaks', broke) : []),
        ...(overload ? overloadFigures(overload) : []),
        figure('errors', errorCount(errors), 'errors'),
      ];
      return {
        scenario: 'fanout_saturation',
        description: fanoutSaturationScenario.description,
        parameters: {
          members,
          senders,
          rates: rates.join(','),
          step_s: stepS,
          gateways,
          ...gateway.parameters,
          warmup_s: warmupS,
          hold_p99_ms: HOLD_P99_MS,
          overload_rate: overloadRate,
          overload_s: overloadS,
        },
        figures,
        timeline: session.timeline.rows((warmup ?? steps[0]!.phase).from - 1),
        processes: processRows(usage),
        plot: plot(gateways),
        notes: [
          ...steps.map(
            (s) =>
              `${s.phase.rate} msg/s: ${Math.round(s.phase.deliveredPerSecond)} deliveries/s, p50 / p99 / max ${s.phase.totals.delivery.p50.toFixed(1)} / ${s.phase.totals.delivery.p99.toFixed(1)} / ${s.phase.totals.delivery.max.toFixed(1)} ms, missed ${s.missed}, closed ${s.closes}; CPU ${session.cpuLine(s.phase.from, s.phase.to)}`,
          ),
          ...(overload ? [overloadLine(overload)] : []),
          warmupNote(warmup),
          `errors by code: ${errorSummary(errors)}`,
          'A step holds when every acked message reached all other members within the step (plus 1.3 s) and p99 per delivery ≤ 100 ms; the run stops at the first step that does not.',
          'The overload step then offers overload_rate for overload_seconds; the recovery step after it offers the highest holding rate for 5 s to the sockets still open (closed ones are not reopened by the load generator) and holds by the same rule.',
          SERVER_PROCESSES_NOTE,
          ...gateway.notes,
        ],
      };
    } finally {
      await session.close();
    }
  },
};

/**
 * A fresh session with one group of `members` over `gateways`, every member connected and the
 * first `senders` of them sending into it; per-message delivery counts are on. The caller
 * closes the session.
 */
export async function openRoom(
  ctx: ScenarioContext,
  members: number,
  senders: number,
  gateways: number,
): Promise<{ session: LoadSession; opened: OpenResult }> {
  const session = await LoadSession.start(ctx, { gateways, workers: 2 });
  try {
    const users = await session.fixtures.createUsers(members, 'sat');
    const group = await session.fixtures.createGroupChat('bench saturation', users);
    const opened = await session.open(
      session.specs(users, (i) => (i < senders ? group : undefined)),
      100,
    );
    ctx.log(`${opened.held} members connected in ${opened.seconds.toFixed(1)} s (${senders} senders)`);
    session.pool.trackMessages(true);
    return { session, opened };
  } catch (err) {
    await session.close();
    throw err;
  }
}

/**
 * One step of the room: `rate` msg/s for `stepS` into the group, and whether it holds (every
 * acked message reached all `expected` other members, no socket closed, p99 ≤ 100 ms).
 */
export async function measureStep(session: LoadSession, gateways: number, rate: number, stepS: number, expected: number): Promise<Step> {
  session.timeline.perMessage.clear();
  const phase = await runSendPhase(session, rate, stepS);
  const missed = missedIn(session, phase, expected);
  const closes = Object.entries(phase.totals.errors)
    .filter(([code]) => code.startsWith('closed_'))
    .reduce((a, [, n]) => a + n, 0);
  const cpu = session.cpuDuring(phase.from, phase.to);
  const pct = (name: string) => cpu.find((c) => c.name === name)?.percent ?? 0;
  const usage = gatewayUsage(session, gateways, phase.from, phase.to);
  const holds = missed === 0 && closes === 0 && phase.totals.acked > 0 && phase.totals.delivery.p99 <= HOLD_P99_MS;
  return {
    phase,
    missed,
    closes,
    gatewayCpuPct: usage.cpuPct,
    clientCpuPct: pct('client-1') + pct('client-2'),
    gatewayRssMiB: usage.rssMiB,
    holds,
  };
}

/** Messages acked in the phase that did not reach `expected` receivers. */
function missedIn(session: LoadSession, phase: PhaseResult, expected: number): number {
  let complete = 0;
  for (const [count] of session.timeline.perMessage.values()) if (count >= expected) complete += 1;
  return Math.max(0, phase.totals.acked - complete);
}

/** Sockets the workers held at the latest second. */
function socketsHeld(session: LoadSession): number {
  const rows = session.timeline.rows(session.second() - 3, session.second() + 1);
  return Math.max(
    0,
    ...rows
      .map((r) => r.sockets ?? 0)
      .filter((n) => n > 0)
      .slice(-1),
  );
}

/**
 * Well past capacity for `seconds`, then `normalRate` on the sockets still open: how the
 * gateway degrades (unavailable answers, 4008 closes, memory) and whether it serves normally
 * afterwards.
 */
export async function runOverload(
  session: LoadSession,
  gateways: number,
  rate: number,
  seconds: number,
  normalRate: number,
): Promise<Overload> {
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  session.timeline.perMessage.clear();
  const phase = await runSendPhase(session, rate, seconds);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  // CPU over the overload itself; memory until now, the drain included.
  const cpuPct = gatewayUsage(session, gateways, phase.from, phase.to).cpuPct;
  const rssMiB = gatewayUsage(session, gateways, phase.from, session.second()).rssMiB;
  const openAfter = socketsHeld(session);
  session.timeline.perMessage.clear();
  const recovery = await runSendPhase(session, normalRate, RECOVERY_S);
  const recoveryMissed = missedIn(session, recovery, Math.max(1, openAfter - 1));
  const closes = Object.entries(phase.totals.errors).filter(([code]) => code.startsWith('closed_'));
  const closed4008 = closes.filter(([code]) => code === 'closed_4008').reduce((a, [, n]) => a + n, 0);
  const recoveryCloses = Object.keys(recovery.totals.errors).filter((code) => code.startsWith('closed_')).length;
  return {
    phase,
    gatewayRssMiB: rssMiB,
    gatewayCpuPct: cpuPct,
    unavailable: phase.totals.errors.unavailable ?? 0,
    closed4008,
    otherCloses: closes.reduce((a, [, n]) => a + n, 0) - closed4008,
    recovery,
    openAfter,
    recoveryMissed,
    recovered: recovery.totals.acked > 0 && recoveryMissed === 0 && recoveryCloses === 0 && recovery.totals.delivery.p99 <= HOLD_P99_MS,
  };
}

export function overloadFigures(o: Overload): Figure[] {
  const label = `overload ${o.phase.rate} msg/s`;
  return [
    figure(`${label}: deliveries`, o.phase.deliveredPerSecond, 'deliveries/s'),
    figure(`${label}: per delivery p50`, o.phase.totals.delivery.p50, 'ms'),
    figure(`${label}: per delivery p99`, o.phase.totals.delivery.p99, 'ms'),
    figure(`${label}: send → ack p50`, o.phase.totals.ack.p50, 'ms'),
    figure(`${label}: send → ack p99`, o.phase.totals.ack.p99, 'ms'),
    figure(`${label}: acked`, o.phase.ackedPerSecond, 'msg/s'),
    figure(`${label}: answered unavailable`, o.unavailable, 'sends'),
    figure(`${label}: sockets closed with 4008`, o.closed4008, 'sockets'),
    figure(`${label}: sockets closed otherwise`, o.otherCloses, 'sockets'),
    figure(`${label}: gateway RSS (max, drain included)`, o.gatewayRssMiB, 'MiB'),
    figure(`${label}: gateway CPU`, o.gatewayCpuPct, '% of a core'),
    figure(`after the overload: sockets still open`, o.openAfter, 'sockets'),
    figure(`after the overload: ${o.recovery.rate} msg/s per delivery p99`, o.recovery.totals.delivery.p99, 'ms'),
    figure(`after the overload: ${o.recovery.rate} msg/s holds again (1 = yes)`, o.recovered ? 1 : 0, '', atLeast(1, 'yes')),
  ];
}

export function overloadLine(o: Overload): string {
  const t = o.phase.totals;
  return (
    `overload ${o.phase.rate} msg/s for ${o.phase.durationS} s: ${Math.round(o.phase.deliveredPerSecond)} deliveries/s, ` +
    `delivery p50 / p99 ${t.delivery.p50.toFixed(1)} / ${t.delivery.p99.toFixed(1)} ms, send → ack p50 / p99 ${t.ack.p50.toFixed(1)} / ${t.ack.p99.toFixed(1)} ms, ` +
    `${t.sent} sent, ${t.acked} acked, ${o.unavailable} unavailable, ${o.closed4008} closed 4008, ${o.otherCloses} closed otherwise, ` +
    `gateway max RSS ${o.gatewayRssMiB} MiB, CPU ${o.gatewayCpuPct} %; then ${o.recovery.rate} msg/s on ${o.openAfter} sockets: ` +
    `p99 ${o.recovery.totals.delivery.p99.toFixed(1)} ms, missed ${o.recoveryMissed}, ${o.recovered ? 'holds' : 'does not hold'}`
  );
}
