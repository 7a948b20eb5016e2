import type { Figure, Scenario, ScenarioResult } from '../scenario.js';
import { LoadSession } from '../load/load-session.js';
import { runSendPhase, type PhaseResult } from '../load/send-phase.js';
import { LatencyHistogram } from '../load/latency-histogram.js';
import {
  SERVER_PROCESSES_NOTE,
  atLeast,
  below,
  errorCount,
  errorSummary,
  figure,
  latencyFigures,
  mergeErrors,
  processRows,
} from '../load/figures.js';

const PLOT = [
  { title: 'Deliveries', unit: 'per second', series: ['delivered_per_s'] },
  { title: 'Latency per delivery', unit: 'ms', series: ['delivery_p50_ms', 'delivery_p99_ms', 'delivery_max_ms'] },
  { title: 'CPU', unit: '% of a core', series: ['gateway-1_cpu_pct', 'client-1_cpu_pct', 'client-2_cpu_pct', 'persister_cpu_pct'] },
];

/**
 * Ours: fan-out into one 1,000-member group. A few members post; every message must reach all
 * other members. Measured per delivery and per message to its last receiver.
 */
export const fanoutScenario: Scenario = {
  name: 'fanout',
  description:
    'One group of 1,001 members on one gateway: each message goes to the 1,000 others; latency per delivery and to the last receiver.',
  async run(ctx): Promise<ScenarioResult> {
    const members = Number(ctx.params.fanout_members ?? 1001);
    const senders = Math.min(members, Number(ctx.params.fanout_senders ?? 10));
    const rates = (ctx.params.fanout_rates ?? (ctx.quick ? '5' : '5,10,20,50')).split(',').map(Number);
    const stepS = Number(ctx.params.fanout_seconds ?? (ctx.quick ? 10 : 15));
    const session = await LoadSession.start(ctx, { gateways: 1, workers: 2 });
    try {
      const users = await session.fixtures.createUsers(members, 'fan');
      const group = await session.fixtures.createGroupChat('bench fan-out', users);
      const opened = await session.open(
        session.specs(users, (i) => (i < senders ? group : undefined)),
        100,
      );
      ctx.log(`${opened.held} members connected in ${opened.seconds.toFixed(1)} s`);
      session.pool.trackMessages(true);
      const steps: PhaseResult[] = [];
      for (const rate of rates) {
        const step = await runSendPhase(session, rate, stepS);
        steps.push(step);
        ctx.log(`${rate} msg/s: ${step.deliveredPerSecond.toFixed(0)} deliveries/s, p99 ${step.totals.delivery.p99.toFixed(1)} ms`);
      }
      const sent = steps.reduce((a, s) => a + s.totals.acked, 0);
      const persisted = await session.waitPersisted(sent, 30_000);
      const usage = session.stopSampling();

      const expected = members - 1;
      const toLast = new LatencyHistogram();
      let incomplete = 0;
      for (const [, [count, maxMs]] of session.timeline.perMessage) {
        if (count >= expected) toLast.recordMs(maxMs);
        else incomplete += 1;
      }
      const first = steps[0]!;
      const errors = mergeErrors(opened.errors, ...steps.map((s) => s.totals.errors));
      const figures: Figure[] = [
        figure('members connected', opened.held, 'sockets', atLeast(members, String(members))),
        ...steps.flatMap((s) => [
          figure(`${s.rate} msg/s: deliveries`, s.deliveredPerSecond, 'deliveries/s'),
          figure(
            `${s.rate} msg/s: deliveries / (acked × ${expected})`,
            s.totals.delivered / Math.max(1, s.totals.acked * expected),
            '',
            atLeast(1, '1 (everyone got everything)'),
          ),
          figure(`${s.rate} msg/s: per delivery p99`, s.totals.delivery.p99, 'ms', below(50, '< 50 ms (seed p95)')),
        ]),
        ...latencyFigures(`${first.rate} msg/s: send → receive, per delivery`, first.totals.delivery, {
          p95: [below(50, '< 50 ms (seed)')],
        }),
        // Only messages that reached every member have a "last receiver": with none, there is no
        // figure to give (an empty histogram would read as 0 ms and pass).
        ...(toLast.summary().count > 0
          ? latencyFigures(`send → last of ${expected.toLocaleString('en-US')} receivers, all steps`, toLast.summary(), {
              p95: [below(50, '< 50 ms (seed p95, to everyone)')],
            })
          : []),
        figure('messages not delivered to every member', incomplete, 'messages', below(1, '0')),
        figure('persisted', persisted.persisted, 'messages', atLeast(sent, `all ${sent} acked`)),
        figure('errors', errorCount(errors), 'errors', below(1, '0')),
      ];
      return {
        scenario: 'fanout',
        description: fanoutScenario.description,
        parameters: { members, senders, rates: rates.join(','), step_s: stepS, gateways: 1 },
        figures,
        timeline: session.timeline.rows(first.from - 1),
        processes: processRows(usage),
        plot: PLOT,
        notes: [
          ...steps.map((st) => `CPU during the ${st.rate} msg/s step: ${session.cpuLine(st.from, st.from + stepS)}`),
          ...steps.map((st) => {
            // CPU time per message of each process: the cost of one 1,000-way fan-out, end to end.
            const perMessage = session
              .cpuDuring(st.from, st.from + stepS)
              .filter((c) => c.percent > 0)
              .map((c) => `${c.name} ${((c.percent * 10 * stepS) / Math.max(1, st.totals.acked)).toFixed(1)} ms`);
            return `CPU time per message at ${st.rate} msg/s: ${perMessage.join(', ')}`;
          }),
          `errors by code: ${errorSummary(errors)}`,
          `messages tracked: ${session.timeline.perMessage.size}, complete (all ${expected} others): ${toLast.count}`,
          'The group is written by SQL before the sockets open (the gateway reads memberships when a socket opens).',
          SERVER_PROCESSES_NOTE,
        ],
      };
    } finally {
      await session.close();
    }
  },
};
