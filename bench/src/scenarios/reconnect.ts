import type { Figure, Scenario, ScenarioContext, ScenarioResult } from '../scenario.js';
import { LoadSession, gatewayReport } from '../load/load-session.js';
import { SERVER_PROCESSES_NOTE, atLeast, below, errorSummary, figure, processRows } from '../load/figures.js';
import {
  exactSummary,
  originOf,
  stormOver,
  stormWindows,
  type ExactSummary,
  type ReconnectCounts,
  type StormWindows,
} from '../load/reconnect-math.js';
import { nowMs } from '../load/worker-protocol.js';

/** Under the 20,000 open-file cap per process (see sockets.ts). */
const MAX_PER_GATEWAY = 18000;
const MAX_PER_WORKER = 15000;
const POLL_MS = 250;

interface ReconnectParams {
  readonly sockets: number;
  readonly gateways: number;
  readonly workers: number;
  readonly rate: number;
  /** Seconds of chatter before the kill, and measured after the storm. */
  readonly windowS: number;
  readonly spreadMs: number;
  readonly signal: 'SIGKILL' | 'SIGTERM';
  readonly stormTimeoutS: number;
}

function intParam(params: Readonly<Record<string, string>>, key: string, fallback: number, min: number, max: number): number {
  const raw = params[key];
  const value = raw === undefined ? fallback : raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`--set ${key}: expected an integer ${min}-${max}, got ${raw}`);
  return value === 0 ? 0 : value; // -0 is 0
}

/** The run's shape from `--set` (quick: 2,000 sockets over 3 gateways at 100 msg/s; --full: 100,000 at 1,000 msg/s). */
export function reconnectParams(ctx: Pick<ScenarioContext, 'quick' | 'params'>): ReconnectParams {
  const p = ctx.params;
  const sockets = intParam(p, 'reconnect_sockets', ctx.quick ? 2000 : 100000, 4, 200000);
  // After the kill the others hold everything: each must stay under the cap then.
  const gateways = intParam(p, 'reconnect_gateways', Math.max(3, Math.ceil(sockets / MAX_PER_GATEWAY) + 1), 2, 64);
  if (Math.ceil(sockets / (gateways - 1)) > MAX_PER_GATEWAY)
    throw new Error(`reconnect: ${sockets} sockets over ${gateways - 1} gateways after the kill pass ${MAX_PER_GATEWAY} a gateway`);
  const workers = intParam(p, 'reconnect_workers', Math.max(2, Math.ceil(sockets / MAX_PER_WORKER)), 1, 64);
  if (Math.ceil(sockets / workers) > MAX_PER_WORKER) throw new Error(`reconnect: more than ${MAX_PER_WORKER} sockets a client worker`);
  const signal = p.reconnect_signal ?? 'SIGKILL';
  if (signal !== 'SIGKILL' && signal !== 'SIGTERM') throw new Error(`--set reconnect_signal: expected SIGKILL or SIGTERM, got ${signal}`);
  return {
    sockets,
    gateways,
    workers,
    rate: intParam(p, 'reconnect_rate', ctx.quick ? 100 : 1000, 1, 100000),
    windowS: intParam(p, 'reconnect_window_s', ctx.quick ? 5 : 10, 1, 600),
    spreadMs: intParam(p, 'reconnect_spread_ms', ctx.quick ? 2000 : 5000, 0, 600000),
    signal,
    stormTimeoutS: intParam(p, 'reconnect_timeout_s', 120, 5, 3600),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the workers until every socket of the killed gateway closed and resumed, or the timeout. */
async function waitForStorm(session: LoadSession, victims: number, timeoutMs: number): Promise<ReconnectCounts> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const { counts } = await session.pool.reconnectReport(false);
    if (stormOver(counts, victims) || nowMs() > deadline) return counts;
    await sleep(POLL_MS);
  }
}

function timeFigures(what: string, s: ExactSummary): Figure[] {
  return (['p50', 'p99', 'max'] as const).map((p) => figure(`${what} ${p}`, s[p], 'ms'));
}

function windowFigures(session: LoadSession, w: StormWindows): { figures: Figure[]; notes: string[] } {
  const parts = [
    ['before the kill', w.before],
    ['during the storm', w.during],
    ['after the storm', w.after],
  ] as const;
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const [label, win] of parts) {
    const t = session.timeline.window(win.from, win.to);
    figures.push(figure(`other sockets' send → receive p50 ${label}`, t.delivery.p50, 'ms'));
    figures.push(figure(`other sockets' send → receive p99 ${label}`, t.delivery.p99, 'ms'));
    notes.push(`CPU ${label} (seconds ${win.from}–${win.to - 1}): ${session.cpuLine(win.from, win.to)}`);
  }
  return { figures, notes };
}

/** The run itself: open, chatter, kill gateway-1, wait for the storm, chatter on, check. */
async function runReconnect(ctx: ScenarioContext, rp: ReconnectParams, session: LoadSession) {
  const users = await session.fixtures.createUsers(rp.sockets, 'recon');
  const pairs = Array.from(
    { length: Math.floor(rp.sockets / 2) },
    (_, i) => [users[2 * i]!, users[2 * i + 1]!] as [(typeof users)[0], (typeof users)[0]],
  );
  const chats = await session.fixtures.createDirectChats(pairs);
  const gatewayUrls = session.stack.gatewayUrls;
  const victimOrigin = originOf(gatewayUrls[0]!);
  // Both ends of a chat in one worker (it checks every acked seq against both); on neighbouring gateways.
  const specs = session.specs(users.slice(0, pairs.length * 2), (i) => chats[Math.floor(i / 2)]);
  const victimSpecs = specs.filter((s) => originOf(s.url) === victimOrigin).length;
  const opened = await session.open(specs, 100, {
    workerOf: (i) => Math.floor(i / 2),
    reconnect: { gatewayUrls, spreadMs: rp.spreadMs, victimOrigin },
  });
  ctx.log(
    `reconnect: ${opened.held} sockets in ${opened.seconds.toFixed(1)} s (${errorSummary(opened.errors)}), ${victimSpecs} on gateway-1`,
  );
  const chatterFrom = session.second() + 1;
  const sent = session.pool.send(rp.rate, (rp.windowS * 2 + rp.stormTimeoutS + 10) * 1000);
  await sleep(rp.windowS * 1000 + 500);
  const gateway1 = session.stack.processes.find((p) => p.name === 'gateway-1');
  if (!gateway1) throw new Error('reconnect: no gateway-1');
  const killAtMs = nowMs();
  const killSecond = session.timeline.secondAt(killAtMs);
  gateway1.child.kill(rp.signal);
  ctx.log(`reconnect: gateway-1 sent ${rp.signal}`);
  const stormCounts = await waitForStorm(session, victimSpecs - opened.failed, rp.stormTimeoutS * 1000);
  const lastResumedSecond = session.timeline.secondAt(Math.max(stormCounts.lastResumedAtMs, killAtMs));
  const windows = stormWindows(killSecond, lastResumedSecond, rp.windowS, chatterFrom);
  ctx.log(`reconnect: storm over=${stormOver(stormCounts, victimSpecs - opened.failed)}, measuring ${rp.windowS} s after it`);
  await sleep((windows.after.to - session.second()) * 1000 + 300);
  session.pool.stopSending();
  const send = await sent;
  // Deliveries still on their way after the last ack.
  await sleep(2000);
  const final = await session.pool.reconnectReport(true);
  const heldAtEnd = session.timeline.rows(windows.after.to - 1, windows.after.to)[0]?.sockets ?? 0;
  return { opened, victimSpecs, killAtMs, windows, send, final, heldAtEnd, stormCounts };
}

export const reconnectScenario: Scenario = {
  name: 'reconnect',
  description:
    'Mass reconnect (issue 32): N sockets in 1:1 chats over G gateways with a steady chatter, then gateway-1 killed (reconnect_signal=SIGKILL, or SIGTERM); every socket it held reconnects to another gateway (round-robin, jitter 0–reconnect_spread_ms) with its token and resumes its chat after the last seq it saw. Figures: close → ready / → resumed, all resumed by, sockets lost, acked messages missed (must be 0), the other sockets’ delivery p99 before / during / after. Quick: 2,000 sockets, 3 gateways, 100 msg/s; --full: 100,000 (7 gateways, so the survivors stay under 18,000 each), 1,000 msg/s.',
  whenAsked: true,
  async run(ctx): Promise<ScenarioResult> {
    const rp = reconnectParams(ctx);
    const gateway = gatewayReport(ctx.params);
    const session = await LoadSession.start(ctx, { gateways: rp.gateways, workers: rp.workers });
    try {
      const r = await runReconnect(ctx, rp, session);
      const usage = session.stopSampling();
      const c = r.final.counts;
      const toReady = exactSummary(r.final.toReadyMs);
      const toResumed = exactSummary(r.final.toResumedMs);
      const stormMs = r.stormCounts.lastResumedAtMs > 0 ? r.stormCounts.lastResumedAtMs - r.killAtMs : NaN;
      const connectsSpanS = Math.max(0.001, (c.lastResumedAtMs - c.firstCloseAtMs) / 1000);
      const windows = windowFigures(session, r.windows);
      const victims = r.victimSpecs - r.opened.failed;
      const figures: Figure[] = [
        figure('sockets held before the kill', r.opened.held, 'sockets', atLeast(rp.sockets - (rp.sockets % 2), 'all asked')),
        figure('connects per second (initial open)', r.opened.held / Math.max(0.001, r.opened.seconds), 'sockets/s'),
        figure('sockets on gateway-1 (killed)', victims, 'sockets'),
        figure('sockets closed by the kill', c.victimCloses, 'sockets', atLeast(victims, 'all of gateway-1')),
        figure('reconnect attempts', c.attempts, 'attempts'),
        ...timeFigures('close → new ready', toReady),
        ...timeFigures('close → resumed', toResumed),
        figure('all resumed by (after the kill)', stormMs, 'ms'),
        figure('reconnects per second (first close → last resumed)', c.resumed / connectsSpanS, 'sockets/s'),
        figure('sockets lost (closed, never resumed)', c.pending, 'sockets', below(1, '0')),
        figure('sockets held at the end', r.heldAtEnd, 'sockets', atLeast(r.opened.held, 'all')),
        figure('acked messages checked (× members)', c.checked, 'deliveries'),
        figure('acked messages missed', c.missed, 'deliveries', below(1, '0')),
        figure('messages recovered by the resumes', c.recovered, 'events'),
        figure('gap frames', c.gapFrames, 'frames', below(1, '0')),
        figure('duplicate deliveries', c.duplicates, 'frames'),
        figure('sent, never acked (in flight on gateway-1)', r.send.unacked, 'messages'),
        ...windows.figures,
      ];
      return {
        scenario: 'reconnect',
        description: reconnectScenario.description,
        parameters: {
          quick: ctx.quick,
          sockets: rp.sockets,
          gateways: rp.gateways,
          client_workers: rp.workers,
          rate: rp.rate,
          window_s: rp.windowS,
          spread_ms: rp.spreadMs,
          signal: rp.signal,
          ...gateway.parameters,
        },
        figures,
        timeline: session.timeline.rows(r.windows.before.from),
        processes: processRows(usage),
        plot: [
          { title: 'Sockets held', unit: 'sockets', series: ['sockets'] },
          { title: 'Other sockets: send → receive', unit: 'ms', series: ['delivery_p50_ms', 'delivery_p99_ms'] },
          {
            title: 'CPU',
            unit: '% of a core',
            series: ['gateway-2_cpu_pct', 'gateway-3_cpu_pct', 'nats-server_cpu_pct', 'client-1_cpu_pct'],
          },
        ],
        notes: [
          `Reconnect errors: ${errorSummary(c.errors)}; timeline errors: ${errorSummary(session.timeline.window(r.windows.before.from, r.windows.after.to).errors)} (closed_* are the killed gateway's sockets).`,
          `Windows (timeline seconds): before ${r.windows.before.from}–${r.windows.before.to - 1}, storm ${r.windows.during.from}–${r.windows.during.to - 1}, after ${r.windows.after.from}–${r.windows.after.to - 1}.`,
          'Delivery latencies and delivered counts are the other sockets’ only: the killed gateway’s sockets (their live and replayed deliveries) stay out of the timeline.',
          'Missed: every seq acked to a sender, checked against both members of its chat (the sender by its ack, the peer by a live or replayed new_message); unacked sends are not owed.',
          ...windows.notes,
          SERVER_PROCESSES_NOTE,
          ...gateway.notes,
        ],
      };
    } finally {
      await session.close();
    }
  },
};
