import type { Scenario, ScenarioResult } from '../scenario.js';
import { LoadSession } from '../load/load-session.js';
import { runSendPhase } from '../load/send-phase.js';
import { SERVER_PROCESSES_NOTE, atLeast, below, errorCount, errorSummary, figure, latencyFigures, processRows } from '../load/figures.js';

const PLOT = [
  { title: 'Throughput', unit: 'msg/s', series: ['acked_per_s', 'delivered_per_s', 'persisted_per_s'] },
  { title: 'Latency', unit: 'ms', series: ['delivery_p50_ms', 'delivery_p99_ms', 'ack_p99_ms'] },
  { title: 'RSS', unit: 'MiB', series: ['gateway-1_rss_mib', 'gateway-2_rss_mib', 'persister_rss_mib', 'presence_rss_mib', 'api_rss_mib'] },
];

/**
 * Seed §5.2's soak: steady traffic for `soak_minutes` (30 in the seed; 30 s in the quick run),
 * watching for drift: latency at the end against the start, memory growth, lost messages.
 */
export const soakScenario: Scenario = {
  name: 'soak',
  description:
    'Steady direct-chat traffic on two gateways for soak_minutes (seed: 30 min; quick: 30 s): latency drift, memory growth, nothing lost.',
  async run(ctx): Promise<ScenarioResult> {
    const seconds = ctx.params.soak_minutes ? Number(ctx.params.soak_minutes) * 60 : ctx.quick ? 30 : 30 * 60;
    const rate = Number(ctx.params.soak_rate ?? 500);
    const users = Number(ctx.params.soak_users ?? 2000);
    const session = await LoadSession.start(ctx, { gateways: 2, workers: 2 });
    try {
      const people = await session.fixtures.createUsers(users, 'soak');
      const pairs = Array.from(
        { length: Math.floor(users / 2) },
        (_, i) => [people[2 * i]!, people[2 * i + 1]!] as [(typeof people)[0], (typeof people)[0]],
      );
      const chats = await session.fixtures.createDirectChats(pairs);
      const opened = await session.open(
        session.specs(people.slice(0, pairs.length * 2), (i) => chats[Math.floor(i / 2)]),
        50,
        { workerOf: (i) => Math.floor(i / 2) },
      );
      ctx.log(`${opened.held} sockets; soaking at ${rate} msg/s for ${seconds} s`);
      const phase = await runSendPhase(session, rate, seconds);
      const persisted = await session.waitPersisted(phase.totals.acked, 60_000);
      const usage = session.stopSampling();
      const slice = Math.max(1, Math.floor(seconds / 5));
      const early = session.timeline.window(phase.from, phase.from + slice);
      const sendEnd = phase.from + seconds;
      const late = session.timeline.window(sendEnd - slice, sendEnd);
      const services = usage.filter((u) => /^(api|persister|presence|gateway)/.test(u.name));
      const growth = services.map((u) => `${u.name} ${u.startRssMiB.toFixed(0)} → ${u.endRssMiB.toFixed(0)} MiB`);
      const worstGrowth = Math.max(...services.map((u) => u.endRssMiB - u.startRssMiB));
      return {
        scenario: 'soak',
        description: soakScenario.description,
        parameters: { seconds, rate, users: pairs.length * 2, gateways: 2 },
        figures: [
          figure('sockets held', opened.held, 'sockets', atLeast(pairs.length * 2, String(pairs.length * 2))),
          figure('acked', phase.ackedPerSecond, 'msg/s', atLeast(rate * 0.99, `${rate} msg/s offered`)),
          figure('delivered', phase.deliveredPerSecond, 'deliveries/s'),
          ...latencyFigures('send → receive', phase.totals.delivery, { p95: [below(50, '< 50 ms (seed)')] }),
          ...latencyFigures('send → ack', phase.totals.ack),
          figure(`send → receive p99, first ${slice} s`, early.delivery.p99, 'ms'),
          figure(
            `send → receive p99, last ${slice} s`,
            late.delivery.p99,
            'ms',
            below(Math.max(10, early.delivery.p99 * 2), 'no drift: < 2× the first slice'),
          ),
          figure('largest RSS growth of a NeonChat service', worstGrowth, 'MiB'),
          figure('unacked', phase.send.unacked, 'messages', below(1, '0')),
          figure('persisted', persisted.persisted, 'messages', atLeast(phase.totals.acked, `all ${phase.totals.acked} acked`)),
          figure('errors', errorCount(phase.totals.errors), 'errors', below(1, '0')),
        ],
        timeline: session.timeline.rows(phase.from - 1),
        processes: processRows(usage),
        plot: PLOT,
        notes: [
          `CPU during the soak: ${session.cpuLine(phase.from, phase.from + seconds)}`,
          `errors by code: ${errorSummary(phase.totals.errors)}`,
          `RSS start → end: ${growth.join(', ')}`,
          SERVER_PROCESSES_NOTE,
        ],
      };
    } finally {
      await session.close();
    }
  },
};
