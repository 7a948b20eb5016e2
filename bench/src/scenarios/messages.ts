import type { Figure, Scenario, ScenarioContext, ScenarioResult } from '../scenario.js';
import { LoadSession, gatewayReport } from '../load/load-session.js';
import { runSendPhase, runWarmup, warmupNote, warmupSecondsOf, type PhaseResult } from '../load/send-phase.js';
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
  { title: 'Throughput', unit: 'msg/s', series: ['sent_per_s', 'acked_per_s', 'delivered_per_s', 'persisted_per_s'] },
  { title: 'Latency', unit: 'ms', series: ['delivery_p50_ms', 'delivery_p99_ms', 'ack_p99_ms'] },
  {
    title: 'CPU',
    unit: '% of a core',
    series: [
      'gateway-1_cpu_pct',
      'gateway-2_cpu_pct',
      'persister_cpu_pct',
      'nats-server_cpu_pct',
      'postgres_cpu_pct',
      'client-1_cpu_pct',
      'client-2_cpu_pct',
    ],
  },
];

/** A step holds when nearly all it offered was acked and the acks stayed under a second. */
function stepHeld(step: PhaseResult): boolean {
  return step.totals.acked >= 0.95 * step.rate * step.durationS && step.totals.ack.p99 < 1000 && step.send.unacked === 0;
}

/**
 * Seed §5.2: 500 messages/s sustained between pairs of users on two gateways; then ours: the
 * most messages/s acked and persisted, stepping the offered rate up until a step no longer
 * holds (acks fall short, p99 ack passes 1 s, or messages go unacked).
 */
export const messagesScenario: Scenario = {
  name: 'messages',
  description:
    'Direct chats between users on two gateways: 500 msg/s sustained (seed), then the offered rate stepped up to find the most msg/s acked and persisted.',
  async run(ctx): Promise<ScenarioResult> {
    return (await measureMessages(ctx)).result;
  },
};

/** One step of the messages scenario, as a comparison with the floor needs it. */
export interface MessagesStep {
  readonly rate: number;
  readonly sent: number;
  readonly acked: number;
  readonly unacked: number;
  readonly ackP99: number;
  readonly deliveryP99: number;
  /** CPU ms per acked message of each sampled process (gateway-N, nats-server, persister, postgres, …). */
  readonly cpuMsPerAcked: Record<string, number>;
}

function stepFacts(session: LoadSession, s: PhaseResult): MessagesStep {
  const cpuMsPerAcked: Record<string, number> = {};
  for (const c of session.cpuDuring(s.from, s.to)) cpuMsPerAcked[c.name] = (c.percent * 10 * (s.to - s.from)) / Math.max(1, s.totals.acked);
  return {
    rate: s.rate,
    sent: s.totals.sent,
    acked: s.totals.acked,
    unacked: s.send.unacked,
    ackP99: s.totals.ack.p99,
    deliveryP99: s.totals.delivery.p99,
    cpuMsPerAcked,
  };
}

/**
 * The messages scenario's run, with its steps and whether every acked message was persisted
 * (always true of the floor, which stores nothing) for scenarios that compare two runs.
 */
export async function measureMessages(
  ctx: ScenarioContext,
): Promise<{ result: ScenarioResult; steps: MessagesStep[]; allPersisted: boolean }> {
  const users = Number(ctx.params.messages_users ?? 2000);
  const sustainRate = Number(ctx.params.messages_rate ?? 500);
  const sustainS = Number(ctx.params.messages_seconds ?? (ctx.quick ? 15 : 60));
  const stepS = Number(ctx.params.messages_step_seconds ?? (ctx.quick ? 5 : 15));
  const steps = (ctx.params.messages_steps ?? (ctx.quick ? '1000,2000,4000' : '1000,2000,3000,4000,6000,8000,12000,16000,20000'))
    .split(',')
    .map(Number);
  const warmupS = warmupSecondsOf(ctx.params);
  const gateway = gatewayReport(ctx.params);
  const session = await LoadSession.start(ctx, { gateways: 2, workers: 2 });
  try {
    const people = await session.fixtures.createUsers(users, 'msg');
    const pairs = Array.from(
      { length: Math.floor(users / 2) },
      (_, i) => [people[2 * i]!, people[2 * i + 1]!] as [(typeof people)[0], (typeof people)[0]],
    );
    const chats = await session.fixtures.createDirectChats(pairs);
    // Partners sit on different gateways, so every message crosses NATS between gateways.
    const opened = await session.open(
      session.specs(people.slice(0, pairs.length * 2), (i) => chats[Math.floor(i / 2)]),
      50,
      { workerOf: (i) => Math.floor(i / 2) },
    );
    ctx.log(`${opened.held} sockets in ${opened.seconds.toFixed(1)} s`);

    const warmup = await runWarmup(session, steps[0] ?? sustainRate, warmupS);
    const sustained = await runSendPhase(session, sustainRate, sustainS);
    ctx.log(
      `sustained ${sustainRate}/s: acked ${sustained.ackedPerSecond.toFixed(0)}/s, delivery p99 ${sustained.totals.delivery.p99.toFixed(1)} ms`,
    );

    const stepped: PhaseResult[] = [];
    for (const rate of steps) {
      const step = await runSendPhase(session, rate, stepS);
      stepped.push(step);
      ctx.log(
        `step ${rate}/s: acked ${step.ackedPerSecond.toFixed(0)}/s, ack p99 ${step.totals.ack.p99.toFixed(1)} ms, delivery p99 ${step.totals.delivery.p99.toFixed(1)} ms, unacked ${step.send.unacked}`,
      );
      if (!stepHeld(step)) break;
    }
    // Every message acked since the first phase, the warm-up's too: they are all in the table.
    const sentTotal = session.timeline.window((warmup ?? sustained).from, Number.MAX_SAFE_INTEGER).acked;
    const persisted = await session.waitPersisted(sentTotal, 60_000);
    const usage = session.stopSampling();

    /** Both gateways' CPU time during the step over the messages acked in it (each message crosses both). */
    const gatewayCpuMsPerMessage = (s: PhaseResult): number => {
      const cpu = session.cpuDuring(s.from, s.to).filter((c) => c.name.startsWith('gateway-'));
      const percent = cpu.reduce((a, c) => a + c.percent, 0);
      return (percent * 10 * (s.to - s.from)) / Math.max(1, s.totals.acked);
    };
    const best = [...stepped].filter(stepHeld).sort((a, b) => b.ackedPerSecond - a.ackedPerSecond)[0];
    const peakPersisted = Math.max(0, ...session.timeline.rows(sustained.from).map((r) => r.persisted_per_s ?? 0));
    const allErrors = mergeErrors(
      ...(warmup ? [warmup.totals.errors] : []),
      sustained.totals.errors,
      ...stepped.map((s) => s.totals.errors),
    );
    const figures: Figure[] = [
      figure('sockets held', opened.held, 'sockets', atLeast(pairs.length * 2, `${pairs.length * 2}`)),
      figure(`sustained: offered`, sustainRate, 'msg/s'),
      figure('sustained: acked', sustained.ackedPerSecond, 'msg/s', atLeast(sustainRate * 0.99, `≥ ${sustainRate} msg/s (seed)`)),
      figure('sustained: delivered', sustained.deliveredPerSecond, 'deliveries/s'),
      ...latencyFigures('sustained: send → receive', sustained.totals.delivery, {
        p95: [below(50, '< 50 ms (seed)')],
      }),
      ...latencyFigures('sustained: send → ack', sustained.totals.ack),
      figure('sustained: unacked', sustained.send.unacked, 'messages', below(1, '0')),
      ...stepped.flatMap((s) => [
        figure(`step ${s.rate}/s: acked`, s.ackedPerSecond, 'msg/s'),
        figure(
          `step ${s.rate}/s: send → receive p99`,
          s.totals.delivery.p99,
          'ms',
          ...(s.rate === 2000 ? [below(10, '< 10 ms at 2,000 msg/s (ours)')] : []),
        ),
        figure(`step ${s.rate}/s: send → ack p99`, s.totals.ack.p99, 'ms', below(100, '< 100 ms (ours)')),
        figure(`step ${s.rate}/s: gateway CPU per acked message`, gatewayCpuMsPerMessage(s), 'ms', below(0.1001, '≤ 0.1 ms (ours)')),
      ]),
      figure(
        'most msg/s acked with ack p99 < 100 ms, both gateways',
        Math.max(0, ...stepped.filter((s) => stepHeld(s) && s.totals.ack.p99 < 100).map((s) => s.ackedPerSecond)),
        'msg/s',
        atLeast(8000, '≥ 8,000 msg/s (ours, issue 15)'),
      ),
      figure(
        'most msg/s acked (a step that held), both gateways',
        best?.ackedPerSecond ?? 0,
        'msg/s',
        atLeast(20000, '≥ 20,000 msg/s (ours)'),
      ),
      figure('most msg/s acked per gateway', (best?.ackedPerSecond ?? 0) / 2, 'msg/s', atLeast(1000, '≥ 1,000 msg/s per instance (seed)')),
      figure('persisted', persisted.persisted, 'messages', atLeast(sentTotal, `all ${sentTotal} acked`)),
      figure('persisted: peak rate', peakPersisted, 'msg/s', atLeast(20000, '≥ 20,000 msg/s (ours)')),
      figure('persisted: further wait for the last rows, from 1.3 s after the last ack', persisted.waitedMs, 'ms'),
      figure('errors', errorCount(allErrors), 'errors', below(1, '0')),
    ];
    const result: ScenarioResult = {
      scenario: 'messages',
      description: messagesScenario.description,
      parameters: {
        users: pairs.length * 2,
        chats: chats.length,
        gateways: 2,
        ...gateway.parameters,
        warmup_s: warmupS,
        sustain_rate: sustainRate,
        sustain_s: sustainS,
        steps: steps.join(','),
        step_s: stepS,
      },
      figures,
      timeline: session.timeline.rows((warmup ?? sustained).from - 1),
      processes: processRows(usage),
      plot: PLOT,
      notes: [
        `CPU during the sustained ${sustainRate} msg/s: ${session.cpuLine(sustained.from, sustained.from + sustainS)}`,
        ...stepped.map((st) => `CPU during the ${st.rate} msg/s step: ${session.cpuLine(st.from, st.from + stepS)}`),
        warmupNote(warmup),
        `errors by code: ${errorSummary(allErrors)}`,
        `client-side sends skipped by the pacer (clients behind): ${sustained.send.skipped + stepped.reduce((a, s) => a + s.send.skipped, 0)}`,
        `connect: p50 ${opened.connect.p50.toFixed(1)} ms, p99 ${opened.connect.p99.toFixed(1)} ms; open failures: ${errorSummary(opened.errors)}`,
        'Load generator and services share the same 2 cores: client CPU is listed with the services.',
        session.background.note(),
        SERVER_PROCESSES_NOTE,
        ...gateway.notes,
      ],
    };
    return {
      result,
      steps: stepped.map((st) => stepFacts(session, st)),
      allPersisted: gateway.parameters.gateway_impl === 'floor' || persisted.persisted >= sentTotal,
    };
  } finally {
    await session.close();
  }
}
