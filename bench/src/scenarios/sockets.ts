import type { Figure, Scenario, ScenarioContext, ScenarioResult } from '../scenario.js';
import { LoadSession, gatewayReport } from '../load/load-session.js';
import { runSendPhase } from '../load/send-phase.js';
import { SERVER_PROCESSES_NOTE, atLeast, below, errorCount, errorSummary, figure, mergeErrors, processRows } from '../load/figures.js';
import type { ProcessUsage } from '../load/process-sampler.js';

interface PartResult {
  readonly label: string;
  readonly figures: Figure[];
  readonly rows: Array<Record<string, number>>;
  readonly usage: ProcessUsage[];
  readonly notes: string[];
}

const PLOT = [
  { title: 'Sockets held', unit: 'sockets', series: ['sockets'] },
  { title: 'Gateway RSS', unit: 'MiB', series: ['gateway-1_rss_mib', 'gateway-2_rss_mib', 'gateway-3_rss_mib'] },
  {
    title: 'CPU',
    unit: '% of a core',
    series: ['gateway-1_cpu_pct', 'gateway-2_cpu_pct', 'gateway-3_cpu_pct', 'presence_cpu_pct', 'client-1_cpu_pct'],
  },
];

/**
 * Opens `sockets` clients (users paired in direct chats, so each socket follows a chat) over
 * `gateways` gateways, holds them idle for `holdS`, checks they still carry messages, and
 * reads each gateway's RSS growth per socket.
 */
async function runPart(
  ctx: ScenarioContext,
  label: string,
  sockets: number,
  gateways: number,
  workers: number,
  holdS: number,
  probe: { rate?: number; seconds: number } = { seconds: 3 },
): Promise<PartResult> {
  const session = await LoadSession.start(ctx, { gateways, workers });
  try {
    const users = await session.fixtures.createUsers(sockets, 'sock');
    const pairs = Array.from(
      { length: Math.floor(sockets / 2) },
      (_, i) => [users[2 * i]!, users[2 * i + 1]!] as [(typeof users)[0], (typeof users)[0]],
    );
    const chats = await session.fixtures.createDirectChats(pairs);
    const gatewayProcs = session.stack.processes.filter((p) => p.name.startsWith('gateway'));
    // Let the gateways finish starting up before reading their baseline.
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = gatewayProcs.map((p) => p.rssMiB());
    const from = session.second();
    const opened = await session.open(
      session.specs(users, (i) => chats[Math.floor(i / 2)]),
      100,
    );
    ctx.log(`${label}: ${opened.held} sockets in ${opened.seconds.toFixed(1)} s (${errorSummary(opened.errors)})`);
    await new Promise((r) => setTimeout(r, holdS * 1000));
    const after = gatewayProcs.map((p) => p.rssMiB());
    const perGateway = opened.held / gateways;
    const kibPerSocket = Math.max(...after.map((a, i) => ((a - baseline[i]!) * 1024) / Math.max(1, perGateway)));
    // Still alive and carrying traffic after the idle hold: a light message phase.
    const probeRate = probe.rate ?? Math.min(500, Math.max(50, Math.floor(sockets / 20)));
    const probed = await runSendPhase(session, probeRate, probe.seconds);
    const heldAtEnd = session.timeline.rows(probed.to - 1, probed.to)[0]?.sockets ?? 0;
    const usage = session.stopSampling();
    const errors = mergeErrors(opened.errors, session.timeline.window(from, probed.to).errors);
    const oneGateway = gateways === 1;
    return {
      label,
      figures: [
        figure(
          `${label}: sockets held`,
          opened.held,
          'sockets',
          atLeast(sockets, `${sockets.toLocaleString('en-US')} asked`),
          ...(oneGateway && sockets >= 10000
            ? [atLeast(10000, '≥ 10,000 per instance (seed)'), atLeast(19000, '≥ 19,000 per process (ours)')]
            : []),
          ...(gateways > 1 && sockets >= 50000 ? [atLeast(50000, '50,000 over several gateways')] : []),
        ),
        figure(`${label}: still open after ${holdS} s idle + probe`, heldAtEnd, 'sockets', atLeast(opened.held, 'all')),
        figure(`${label}: open failures`, opened.failed, 'sockets', below(1, '0')),
        figure(`${label}: connects per second`, opened.held / Math.max(0.001, opened.seconds), 'sockets/s'),
        figure(`${label}: connect (upgrade → ready) p50`, opened.connect.p50, 'ms'),
        figure(`${label}: connect (upgrade → ready) p99`, opened.connect.p99, 'ms'),
        figure(`${label}: gateway RSS growth per socket (worst gateway)`, kibPerSocket, 'KiB', below(8.0001, '≤ 8 KiB (ours)')),
        figure(
          `${label}: gateway RSS with the sockets (worst gateway)`,
          Math.max(...after),
          'MiB',
          ...(oneGateway
            ? [below((4096 * perGateway) / 10000, `< 4 GiB per 10,000 (seed), pro rata ${((4096 * perGateway) / 10000).toFixed(0)} MiB`)]
            : []),
        ),
        figure(
          `${label}: probe ${probeRate} msg/s delivered`,
          probed.deliveredPerSecond,
          'deliveries/s',
          atLeast(probeRate * 0.95, `≈ ${probeRate}`),
        ),
        figure(`${label}: probe send → receive p95`, probed.totals.delivery.p95, 'ms', below(50, '< 50 ms (seed)')),
        figure(
          `${label}: probe send → receive p99`,
          probed.totals.delivery.p99,
          'ms',
          ...(sockets >= 100000 ? [below(200, '< 200 ms at 100,000 sockets (ours)')] : []),
        ),
        figure(`${label}: errors`, errorCount(errors), 'errors', below(1, '0')),
      ],
      rows: session.timeline.rows(from),
      usage,
      notes: [
        `${label}: errors by code: ${errorSummary(errors)}`,
        `${label}: gateway RSS MiB before → with sockets: ${baseline.map((b, i) => `${b.toFixed(0)} → ${after[i]!.toFixed(0)}`).join(', ')}`,
      ],
    };
  } finally {
    await session.close();
  }
}

export const socketsScenario: Scenario = {
  name: 'sockets',
  description:
    'Concurrent WebSocket clients: 5,000 on one gateway (seed); --full: the most one gateway process holds (19,900 under the 20,000 open-file cap) and 50,000 over three gateways (sockets_total=100000 spreads over 6 gateways and 7 client workers; sockets_one_gateway=0 skips the first part; sockets_probe_rate / sockets_probe_seconds set the message phase after the hold).',
  async run(ctx): Promise<ScenarioResult> {
    const gateway = gatewayReport(ctx.params);
    const holdS = Number(ctx.params.sockets_hold_seconds ?? (ctx.quick ? 5 : 20));
    const parts: PartResult[] = [];
    if (ctx.quick) {
      const sockets = Number(ctx.params.sockets ?? 5000);
      parts.push(await runPart(ctx, `${sockets.toLocaleString('en-US')} on 1 gateway`, sockets, 1, 2, holdS));
    } else {
      const total = Number(ctx.params.sockets_total ?? 50000);
      // Under the 20,000 open-file cap per process: ≤ 18,000 sockets a gateway, ≤ 15,000 a client worker.
      const gateways = Number(ctx.params.sockets_gateways ?? Math.max(3, Math.ceil(total / 18000)));
      const workers = Number(ctx.params.sockets_workers ?? Math.max(4, Math.ceil(total / 15000)));
      const probe = {
        ...(ctx.params.sockets_probe_rate !== undefined ? { rate: Number(ctx.params.sockets_probe_rate) } : {}),
        seconds: Number(ctx.params.sockets_probe_seconds ?? 3),
      };
      if (ctx.params.sockets_one_gateway !== '0') {
        parts.push(await runPart(ctx, 'one gateway', Number(ctx.params.sockets_one_gateway ?? 19900), 1, 2, holdS));
      }
      parts.push(await runPart(ctx, 'several gateways', total, gateways, workers, holdS, probe));
    }
    let offset = 0;
    const timeline = parts.flatMap((p) => {
      const rows = p.rows.map((r) => ({ ...r, t: (r.t ?? 0) + offset }));
      offset += p.rows.length;
      return rows;
    });
    return {
      scenario: 'sockets',
      description: socketsScenario.description,
      parameters: {
        quick: ctx.quick,
        hold_s: holdS,
        parts: parts.map((p) => p.label).join(' + '),
        ...gateway.parameters,
      },
      figures: parts.flatMap((p) => p.figures),
      timeline,
      processes: parts.flatMap((p) =>
        processRows(p.usage).map((u) => ({ ...u, name: parts.length > 1 ? `${p.label}: ${u.name}` : u.name })),
      ),
      plot: PLOT,
      notes: [
        ...parts.flatMap((p) => p.notes),
        'Each client is its own user (tokens signed by the bench, users and chats written by SQL); source addresses 127.0.0.2–201.',
        SERVER_PROCESSES_NOTE,
        ...gateway.notes,
      ],
    };
  },
};
