import type { Figure, Scenario, ScenarioContext, ScenarioResult } from '../scenario.js';
import { atLeast, figure } from '../load/figures.js';
import { cpuPerMessage, highestHeldStep, ratioToFloor, THROUGHPUT_ACK_P99_MS } from '../load/side-by-side.js';
import { measureMessages, type MessagesStep } from './messages.js';

/** Issue 32: NeonChat's highest held step ≥ 90 % of the floor's. */
const THROUGHPUT_RATIO_TARGET = 0.9;
/** The storage path's processes, whose CPU per stored message issue 32 asks for. */
const STORAGE_PROCESSES = ['nats-server', 'persister', 'postgres'] as const;
const SIDES = ['floor', 'neonchat'] as const;

interface SideRun {
  readonly side: (typeof SIDES)[number];
  readonly result: ScenarioResult;
  readonly steps: MessagesStep[];
  readonly held: number;
}

function stepFigures(run: SideRun): Figure[] {
  return run.steps.flatMap((s) => {
    const label = `${run.side}, step ${s.rate}/s`;
    const perMessage = cpuPerMessage(s, ['gateway-1', 'gateway-2', ...STORAGE_PROCESSES]);
    return [
      figure(`${label}: acked of sent`, s.sent > 0 ? (100 * s.acked) / s.sent : 0, '%'),
      figure(`${label}: send → ack p99`, s.ackP99, 'ms'),
      figure(`${label}: send → receive p99`, s.deliveryP99, 'ms'),
      ...Object.entries(perMessage)
        .filter(([, ms]) => Number.isFinite(ms))
        .map(([name, ms]) => figure(`${label}: ${name} CPU per acked message`, ms, 'ms')),
    ];
  });
}

/**
 * Issue 32: the messages scenario's direct chats over two gateways, stepped up (2,000 …
 * 16,000 msg/s), against the floor server and then NeonChat in one run; the highest step each
 * holds with every message acked (and, for NeonChat, persisted) and ack p99 < 100 ms, the
 * ratio, and CPU per stored message of nats-server, the persister and PostgreSQL.
 */
export const throughputScenario: Scenario = {
  // Two full sessions per load (the floor's and NeonChat's): too long for the quick run.
  whenAsked: true,
  name: 'throughput',
  description:
    'messages over two gateways, stepped 2,000 … 16,000 msg/s, against the floor then NeonChat: highest step held with every message acked and persisted and ack p99 < 100 ms, the ratio, CPU per stored message.',
  async run(ctx): Promise<ScenarioResult> {
    const params: Record<string, string> = {
      messages_steps: ctx.quick ? '2000,4000,8000' : '2000,4000,6000,8000,12000,16000',
      messages_seconds: '5',
      messages_step_seconds: ctx.quick ? '8' : '12',
      ...ctx.params,
    };
    const runs: SideRun[] = [];
    for (const side of SIDES) {
      const sideCtx: ScenarioContext = { ...ctx, params: { ...params, gateway_impl: side }, log: (m) => ctx.log(`${side}: ${m}`) };
      const { result, steps, allPersisted } = await measureMessages(sideCtx);
      runs.push({ side, result, steps, held: highestHeldStep(steps, allPersisted) });
    }
    const [floor, neonchat] = runs as [SideRun, SideRun];
    const ratio = ratioToFloor(neonchat.held, floor.held);
    const figures: Figure[] = [
      figure(`floor: highest step held (all acked, ack p99 < ${THROUGHPUT_ACK_P99_MS} ms)`, floor.held, 'msg/s'),
      figure(`NeonChat: highest step held (all acked and persisted, ack p99 < ${THROUGHPUT_ACK_P99_MS} ms)`, neonchat.held, 'msg/s'),
      figure('highest step held, NeonChat / floor', ratio, '×', atLeast(THROUGHPUT_RATIO_TARGET, '≥ 0.9 (ours)')),
      ...stepFigures(floor),
      ...stepFigures(neonchat),
    ];
    return {
      scenario: 'throughput',
      description: throughputScenario.description,
      parameters: {
        steps: params.messages_steps!,
        step_s: Number(params.messages_step_seconds),
        sustain_s: Number(params.messages_seconds),
        hold_ack_p99_ms: THROUGHPUT_ACK_P99_MS,
      },
      figures,
      notes: [
        ...runs.flatMap((r) => r.result.notes?.filter((n) => n.startsWith('CPU during')).map((n) => `${r.side}: ${n}`) ?? []),
        'Each side is the messages scenario in a fresh session (its warm-up and 500 msg/s phase first), the floor first. Steps climb until one breaks messages’ own rule (acks short by 5 %, ack p99 ≥ 1 s, or unacked); the highest step held here is the last one, climbing from the lowest, with every sent message acked and ack p99 < 100 ms, and for NeonChat only if every acked message of the run reached PostgreSQL.',
        'CPU per acked message is a process’s CPU over the step divided by the messages acked in it; for nats-server, the persister and PostgreSQL every acked message is one stored (the floor stores nothing, and its storage processes idle).',
      ],
    };
  },
};
