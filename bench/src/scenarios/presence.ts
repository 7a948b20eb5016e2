import { randomUUID } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import {
  SUBJECTS,
  connectNats,
  createLogger,
  heartbeatReports,
  type ConnectionOpenedReport,
  type HeartbeatAck,
  type PresenceChangedEvent,
} from '@neonchat/common';
import { startRedis, waitFor } from '@neonchat/common/testing';
import { freePort } from '../bench-environment.js';
import type { Figure, Scenario, ScenarioResult } from '../scenario.js';
import { scrapeSum } from '../load/metrics-scrape.js';

/** A NATS message is at most 1 MiB by default: a gateway sends its connections in parts this big. */
const HEARTBEAT_PART = 2500;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A quantile of a Prometheus histogram (upper bound of the bucket it falls in), in ms. */
async function histogramQuantileMs(metricsUrl: string, name: string, q: number, labels = ''): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm'))]
    .filter((m) => m[1]!.includes(labels))
    .map((m) => ({ le: Number(/le="([^"]+)"/.exec(m[1]!)?.[1]), count: Number(m[2]) }));
  const total = buckets.at(-1)?.count ?? 0;
  const bucket = buckets.find((b) => b.count >= q * total);
  return bucket ? bucket.le * 1000 : NaN;
}

/**
 * Redis's own accounting of the time it spent running commands (INFO commandstats), read over
 * a bare RESP connection: on a loaded machine it separates Redis's work from its waiting.
 */
async function redisCommandMicros(redisUrl: string): Promise<number> {
  const { hostname, port } = new URL(redisUrl);
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connectTcp(Number(port), hostname);
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const header = /^\$(\d+)\r\n/.exec(data);
      if (header && Buffer.byteLength(data) >= header[0].length + Number(header[1])) {
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', reject);
    socket.write('*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n');
  });
  let micros = 0;
  for (const m of text.matchAll(/^cmdstat_[^:]+:calls=\d+,usec=(\d+)/gm)) micros += Number(m[1]);
  return micros;
}

/**
 * Simulated gateways connect their sockets' worth of users over NATS, then keep them alive
 * with heartbeat reports, against the presence service running as its own process: how fast
 * connects are turned into transitions, how long a heartbeat batch takes, whether everyone
 * stays online across several heartbeat periods, and how soon a dead gateway's users go offline.
 */
export const presenceScenario: Scenario = {
  name: 'presence',
  description:
    'Simulated gateways report 50,000 connections to presence over NATS, then refresh them by heartbeat; connects/s, heartbeat batch time, false offlines, dead-gateway detection.',
  async run(ctx): Promise<ScenarioResult> {
    const gateways = Number(ctx.params.presence_gateways ?? 5);
    const perGateway = Number(ctx.params.presence_connections ?? 10000);
    // Quick mode scales the seed's 65 s TTL / 20 s heartbeat down, keeping their ratio.
    const ttlS = Number(ctx.params.presence_ttl_s ?? (ctx.quick ? 12 : 65));
    const periodMs = Number(ctx.params.presence_heartbeat_ms ?? (ctx.quick ? 3700 : 20000));
    const periods = Number(ctx.params.presence_periods ?? (ctx.quick ? 4 : 4));
    const total = gateways * perGateway;

    const port = await freePort();
    // A Redis of its own: presence's keys from other scenarios would count as online users here.
    const redis = await startRedis();
    const nc = await connectNats({ url: ctx.env.natsUrl, name: 'bench-presence', logger: createLogger('bench', 'warn') });
    const presence = await ctx.env.spawnService(
      'presence',
      {
        NATS_URL: ctx.env.natsUrl,
        REDIS_URL: redis.url,
        DATABASE_URL: await ctx.env.freshDatabase(),
        PRESENCE_METRICS_PORT: String(port),
        PRESENCE_TTL_S: String(ttlS),
      },
      port,
    );
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const counts = { user_online: 0, user_offline: 0, user_away: 0 };
    const sub = nc.subscribe(SUBJECTS.presenceChangedAll, {
      callback: (err, msg) => {
        if (err) return ctx.log(`presence.changed subscription: ${String(err)}`);
        counts[msg.json<PresenceChangedEvent>().event] += 1;
      },
    });
    await nc.flush();

    try {
      const baseline = {
        online: await scrapeSum(metricsUrl, 'neonchat_presence_online_users'),
        connections: await scrapeSum(metricsUrl, 'neonchat_presence_connections'),
      };
      if (baseline.online !== 0 || baseline.connections !== 0) throw new Error(`presence starts with state: ${JSON.stringify(baseline)}`);

      const cpuAtStart = presence.cpuSeconds();
      const startRssMiB = presence.rssMiB();
      const measuredFrom = performance.now();
      // Phase 1: every gateway reports its sockets opening, as fast as NATS takes them.
      const fleet = Array.from({ length: gateways }, (_, g) => {
        const id = `bench-gw-${g}-${randomUUID().slice(0, 8)}`;
        return {
          id,
          connections: Array.from({ length: perGateway }, () => ({ connection_id: `${id}:${randomUUID()}`, user_id: randomUUID() })),
        };
      });
      const cpuBeforeConnect = presence.cpuSeconds();
      const connectStart = performance.now();
      for (const gw of fleet) {
        for (const c of gw.connections) {
          const report: ConnectionOpenedReport = { gateway_id: gw.id, connection_id: c.connection_id, user_id: c.user_id, at: Date.now() };
          nc.publish(SUBJECTS.presenceConnect, JSON.stringify(report));
        }
        await nc.flush();
      }
      const publishedS = (performance.now() - connectStart) / 1000;
      await waitFor(() => counts.user_online >= total, { timeoutMs: 120_000, intervalMs: 10, what: `${total} user_online events` });
      const connectS = (performance.now() - connectStart) / 1000;
      const connectCpu = presence.cpuSeconds() - cpuBeforeConnect;
      const connectedNow = await scrapeSum(metricsUrl, 'neonchat_presence_connections');
      ctx.log(
        `${total} connects published in ${publishedS.toFixed(2)} s, all online after ${connectS.toFixed(2)} s (${connectedNow} connections)`,
      );

      // Phase 2: heartbeats, each gateway once per period (staggered), in parts, for several TTLs.
      const partMs: number[] = [];
      const gatewayMs: number[] = [];
      let refused = 0;
      const lastHeartbeat = new Map<string, number>();
      async function heartbeat(gw: (typeof fleet)[number]): Promise<void> {
        const started = performance.now();
        lastHeartbeat.set(gw.id, started);
        const parts = [];
        for (const report of heartbeatReports(gw.id, gw.connections, Date.now(), HEARTBEAT_PART)) {
          const sent = performance.now();
          parts.push(
            nc.request(SUBJECTS.presenceHeartbeat, JSON.stringify(report), { timeout: 10_000 }).then((reply) => {
              partMs.push(performance.now() - sent);
              if (!reply.json<HeartbeatAck>().ok) refused += 1;
            }),
          );
        }
        await Promise.all(parts);
        gatewayMs.push(performance.now() - started);
      }
      const offlineBefore = counts.user_offline;
      const cpuBeforeHeartbeats = presence.cpuSeconds();
      const redisMicrosBefore = await redisCommandMicros(redis.url);
      const heartbeatStart = performance.now();
      const rounds: Array<Promise<void>> = [];
      for (let p = 0; p < periods; p++) {
        for (let g = 0; g < gateways; g++) {
          const due = heartbeatStart + p * periodMs + (g * periodMs) / gateways;
          await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
          rounds.push(heartbeat(fleet[g]!));
        }
      }
      await Promise.all(rounds);
      // Hold on to the last period's end: a deadline missed by the sweeper would show by now.
      await new Promise((r) => setTimeout(r, Math.max(0, heartbeatStart + periods * periodMs - performance.now())));
      const heartbeatWallS = (performance.now() - heartbeatStart) / 1000;
      const heartbeatCpu = presence.cpuSeconds() - cpuBeforeHeartbeats;
      const redisMicrosPerRefresh = ((await redisCommandMicros(redis.url)) - redisMicrosBefore) / (total * periods);
      const falseOffline = counts.user_offline - offlineBefore;
      const serverP50 = await histogramQuantileMs(metricsUrl, 'neonchat_presence_heartbeat_seconds', 0.5);
      const serverP99 = await histogramQuantileMs(metricsUrl, 'neonchat_presence_heartbeat_seconds', 0.99);
      const redisP99 = await histogramQuantileMs(metricsUrl, 'neonchat_presence_redis_seconds', 0.99, 'op="heartbeat"');
      ctx.log(`presence-side heartbeat p50 ≤ ${serverP50} ms, p99 ≤ ${serverP99} ms; redis heartbeat round trip p99 ≤ ${redisP99} ms`);
      const onlineAfter = await scrapeSum(metricsUrl, 'neonchat_presence_online_users');
      const sortedPart = [...partMs].sort((a, b) => a - b);
      const sortedGateway = [...gatewayMs].sort((a, b) => a - b);
      ctx.log(
        `${periods} heartbeat periods over ${heartbeatWallS.toFixed(1)} s (TTL ${ttlS} s): part p50 ${percentile(sortedPart, 50).toFixed(1)} ms p99 ${percentile(sortedPart, 99).toFixed(1)} ms, false offline ${falseOffline}, online ${onlineAfter}`,
      );

      // Phase 3: one gateway dies silently; its users must go offline within about the TTL.
      const dead = fleet[0]!;
      const survivors = fleet.slice(1);
      const offlineBeforeDeath = counts.user_offline;
      const diedAt = performance.now();
      const keepAlive = setInterval(() => {
        for (const gw of survivors) void heartbeat(gw).catch((err: unknown) => ctx.log(`heartbeat failed: ${String(err)}`));
      }, periodMs);
      let detectS = NaN;
      try {
        await waitFor(() => counts.user_offline - offlineBeforeDeath >= dead.connections.length, {
          timeoutMs: (ttlS + 30) * 1000,
          intervalMs: 20,
          what: `${dead.connections.length} users of the dead gateway offline`,
        });
        detectS = (performance.now() - lastHeartbeat.get(dead.id)!) / 1000;
      } finally {
        clearInterval(keepAlive);
      }
      const wronglyOffline = counts.user_offline - offlineBeforeDeath - dead.connections.length;
      ctx.log(
        `dead gateway's ${dead.connections.length} users offline ${detectS.toFixed(1)} s after its last heartbeat (${((performance.now() - diedAt) / 1000).toFixed(1)} s after the heartbeat phase); others taken offline: ${wronglyOffline}`,
      );

      const figures: Figure[] = [
        { name: 'connects processed', value: Math.round(total / connectS), unit: 'connects/s' },
        { name: 'presence CPU per 1,000 connects', value: Number(((connectCpu / total) * 1000 * 1000).toFixed(1)), unit: 'ms' },
        {
          name: 'heartbeat part p50',
          value: Number(percentile(sortedPart, 50).toFixed(2)),
          unit: `ms per ${HEARTBEAT_PART} connections`,
        },
        {
          name: 'heartbeat part p99',
          value: Number(percentile(sortedPart, 99).toFixed(2)),
          unit: `ms per ${HEARTBEAT_PART} connections`,
          target: '< 1,000 ms (a twentieth of the 20 s heartbeat period)',
          met: percentile(sortedPart, 99) < 1000,
        },
        { name: 'heartbeat part in presence p50 (histogram bucket)', value: serverP50, unit: 'ms' },
        { name: 'heartbeat part in presence p99 (histogram bucket)', value: serverP99, unit: 'ms' },
        {
          name: 'heartbeat gateway p99',
          value: Number(percentile(sortedGateway, 99).toFixed(2)),
          unit: `ms per ${perGateway} connections`,
        },
        {
          name: 'false offline while heartbeating',
          value: falseOffline + refused,
          unit: 'users',
          target: '0',
          met: falseOffline + refused === 0 && onlineAfter === total,
        },
        { name: 'online after heartbeat periods', value: onlineAfter, unit: 'users', target: `${total}`, met: onlineAfter === total },
        {
          name: 'dead gateway users all offline, after its last heartbeat',
          value: Number(detectS.toFixed(2)),
          unit: 's',
          target: `≤ TTL + 2 s (${ttlS + 2} s)`,
          met: detectS <= ttlS + 2 && wronglyOffline === 0,
        },
        { name: 'Redis time per connection refreshed (commandstats)', value: Number(redisMicrosPerRefresh.toFixed(2)), unit: 'µs' },
        { name: 'presence CPU while heartbeating', value: Number(((heartbeatCpu / heartbeatWallS) * 100).toFixed(1)), unit: '% of a core' },
      ];
      return {
        scenario: 'presence',
        description: presenceScenario.description,
        parameters: {
          gateways,
          connections_per_gateway: perGateway,
          ttl_s: ttlS,
          heartbeat_period_ms: periodMs,
          periods,
          heartbeat_part: HEARTBEAT_PART,
        },
        figures,
        processes: [
          {
            name: 'presence',
            cpuSeconds: presence.cpuSeconds() - cpuAtStart,
            cpuPercent: ((presence.cpuSeconds() - cpuAtStart) / ((performance.now() - measuredFrom) / 1000)) * 100,
            startRssMiB,
            endRssMiB: presence.rssMiB(),
            peakRssMiB: presence.peakRssMiB(),
          },
        ],
        notes: [
          `Each connection is its own user; heartbeats are sent as requests in parts of ${HEARTBEAT_PART} connections and timed from send to presence's ack (NATS round trip included).`,
          `Dead-gateway detection: gateway ${dead.id} stops heartbeating without disconnects; its users must go offline within about the TTL while the other ${survivors.length} keep heartbeating.`,
        ],
      };
    } finally {
      await presence.stop();
      await sub.drain().catch((err: unknown) => ctx.log(`subscription drain failed: ${String(err)}`));
      await nc.close();
      await redis.stop();
    }
  },
};
