import type { Figure, Scenario, ScenarioResult } from '../scenario.js';
import { LoadSession } from '../load/load-session.js';
import { runSendPhase, type PhaseResult } from '../load/send-phase.js';
import { SERVER_PROCESSES_NOTE, atLeast, below, errorCount, errorSummary, figure, mergeErrors, processRows } from '../load/figures.js';

const PLOT = [
  { title: 'Deliveries', unit: 'per second', series: ['delivered_per_s'] },
  { title: 'Latency per delivery', unit: 'ms', series: ['delivery_p50_ms', 'delivery_p99_ms'] },
  { title: 'CPU', unit: '% of a core', series: ['gateway-1_cpu_pct', 'nats-server_cpu_pct', 'client-1_cpu_pct', 'client-2_cpu_pct'] },
  { title: 'Gateway memory', unit: 'MiB', series: ['gateway-1_rss_mib'] },
];

/** A step holds while every member gets every message and p99 per delivery stays under this. */
const HOLD_P99_MS = 100;
/** Senders per step's rate: the gateway allows each socket 20 frames/s sustained. */
const PER_SENDER_PER_S = 15;

interface Step {
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
    'One 1,001-member group on one gateway, offered rate stepped up until p99 per delivery > 100 ms or a member misses a message.',
  async run(ctx): Promise<ScenarioResult> {
    const members = Number(ctx.params.fanout_members ?? 1001);
    const rates = (ctx.params.saturation_rates ?? (ctx.quick ? '50,100,200,300,400' : '20,50,100,150,200,250,300,400,500,700'))
      .split(',')
      .map(Number);
    const stepS = Number(ctx.params.saturation_seconds ?? (ctx.quick ? 5 : 10));
    const senders = Math.min(members, Math.max(10, Math.ceil(Math.max(...rates) / PER_SENDER_PER_S)));
    const expected = members - 1;
    const session = await LoadSession.start(ctx, { gateways: 1, workers: 2 });
    try {
      const users = await session.fixtures.createUsers(members, 'sat');
      const group = await session.fixtures.createGroupChat('bench saturation', users);
      const opened = await session.open(
        session.specs(users, (i) => (i < senders ? group : undefined)),
        100,
      );
      ctx.log(`${opened.held} members connected in ${opened.seconds.toFixed(1)} s (${senders} senders)`);
      session.pool.trackMessages(true);
      const steps: Step[] = [];
      for (const rate of rates) {
        session.timeline.perMessage.clear();
        const phase = await runSendPhase(session, rate, stepS);
        let complete = 0;
        for (const [count] of session.timeline.perMessage.values()) if (count >= expected) complete += 1;
        const missed = Math.max(0, phase.totals.acked - complete);
        const closes = Object.entries(phase.totals.errors)
          .filter(([code]) => code.startsWith('closed_'))
          .reduce((a, [, n]) => a + n, 0);
        const cpu = session.cpuDuring(phase.from, phase.to);
        const pct = (name: string) => cpu.find((c) => c.name === name)?.percent ?? 0;
        const rows = session.timeline.rows(phase.from, phase.to);
        const gatewayRssMiB = Math.max(0, ...rows.map((r) => r['gateway-1_rss_mib'] ?? 0));
        const holds = missed === 0 && closes === 0 && phase.totals.acked > 0 && phase.totals.delivery.p99 <= HOLD_P99_MS;
        const step: Step = {
          phase,
          missed,
          closes,
          gatewayCpuPct: pct('gateway-1'),
          clientCpuPct: pct('client-1') + pct('client-2'),
          gatewayRssMiB,
          holds,
        };
        steps.push(step);
        ctx.log(
          `${rate} msg/s: ${phase.deliveredPerSecond.toFixed(0)} deliveries/s, p99 ${phase.totals.delivery.p99.toFixed(1)} ms, missed ${missed}, closes ${closes}, gateway ${step.gatewayCpuPct} % / ${gatewayRssMiB} MiB: ${holds ? 'holds' : 'breaks'}`,
        );
        if (!holds) break;
      }
      const usage = session.stopSampling();
      const best = [...steps].reverse().find((s) => s.holds);
      const broke = steps.find((s) => !s.holds);
      const cpuPer1000 = (s: Step) => (s.gatewayCpuPct * 10 * (s.phase.to - s.phase.from) * 1000) / Math.max(1, s.phase.totals.delivered);
      const errors = mergeErrors(opened.errors, ...steps.map((s) => s.phase.totals.errors));
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
        figure('errors', errorCount(errors), 'errors'),
      ];
      return {
        scenario: 'fanout_saturation',
        description: fanoutSaturationScenario.description,
        parameters: { members, senders, rates: rates.join(','), step_s: stepS, gateways: 1, hold_p99_ms: HOLD_P99_MS },
        figures,
        timeline: session.timeline.rows(steps[0]!.phase.from - 1),
        processes: processRows(usage),
        plot: PLOT,
        notes: [
          ...steps.map(
            (s) =>
              `${s.phase.rate} msg/s: ${Math.round(s.phase.deliveredPerSecond)} deliveries/s, p50 / p99 / max ${s.phase.totals.delivery.p50.toFixed(1)} / ${s.phase.totals.delivery.p99.toFixed(1)} / ${s.phase.totals.delivery.max.toFixed(1)} ms, missed ${s.missed}, closed ${s.closes}; CPU ${session.cpuLine(s.phase.from, s.phase.to)}`,
          ),
          `errors by code: ${errorSummary(errors)}`,
          'A step holds when every acked message reached all other members within the step (plus 1.3 s) and p99 per delivery ≤ 100 ms; the run stops at the first step that does not.',
          SERVER_PROCESSES_NOTE,
        ],
      };
    } finally {
      await session.close();
    }
  },
};
