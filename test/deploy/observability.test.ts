import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startCluster, http, registerAndLogin, type Cluster } from './support/cluster.js';
import { LoadClient, sleep } from './support/load-client.js';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const DASHBOARD = new URL('../../deploy/grafana/dashboards/neonchat.json', import.meta.url);

interface Panel {
  title: string;
  targets: Array<{ expr: string }>;
}

/** PromQL functions, keywords and aggregations: not metric names. */
const NOT_METRICS = new Set(
  'sum max min avg count rate increase deriv histogram_quantile label_replace by without or and unless vector le on ignoring group_left group_right offset bool'.split(
    ' ',
  ),
);

/** The metric names an expression reads (identifiers that are not functions, labels or keywords). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '') // label values, regexes
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range selectors ([$__rate_interval], [5m])
    .replace(/\b(?:by|without)\s*\([^)]*\)/g, ''); // grouping labels
  const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((n) => !NOT_METRICS.has(n) && (n.includes('_') || n === 'up')))];
}

/**
 * One `make cluster` with its traces exported to a receiver in the test: every dashboard
 * panel's query against its Prometheus under a little load, and one message's trace from the
 * gateway through the stream to the persister.
 */
describe('cluster: dashboard queries and traces @integration @cluster', function () {
  this.timeout(300_000);
  let cluster: Cluster | undefined;
  let receiver: OtlpReceiver;
  const clients: LoadClient[] = [];
  let load: NodeJS.Timeout | undefined;
  let users: Array<{ id: string; token: string }> = [];
  let chatIds: string[] = [];

  before(async () => {
    receiver = await OtlpReceiver.start();
    cluster = await startCluster({
      base: 24300,
      name: 'observability',
      env: {
        RATE_LIMIT_PER_MINUTE: '100000',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '500',
      },
    });
    const run = `${process.pid}${Date.now().toString(36)}`;
    users = [];
    for (let i = 0; i < 4; i++) users.push(await registerAndLogin(cluster.apiUrl, `ob_${run}_${i}`));
    chatIds = [];
    for (let i = 0; i < 4; i += 2) {
      const chat = await http<{ id: string }>('POST', `${cluster.apiUrl}/chats`, { partner_id: users[i + 1]!.id }, users[i]!.token);
      expect(chat.status).to.equal(201);
      chatIds.push(chat.body.id);
      clients.push(new LoadClient(cluster.wsUrl, users[i]!.token, chat.body.id, `o${i}`));
      // The partner listens: deliveries and presence.
      clients.push(new LoadClient(cluster.wsUrl, users[i + 1]!.token, chat.body.id, `p${i}`));
    }
    await Promise.all(clients.map((c) => c.connect()));
    // A little load: 2 messages/s from each of the 4 clients, REST reads, one refused request.
    let tick = 0;
    const c = cluster;
    load = setInterval(() => {
      tick += 1;
      for (const client of clients) client.tick();
      void http('GET', `${c.apiUrl}/chats`, undefined, users[tick % 4]!.token).catch(() => undefined);
      void http('GET', `${c.apiUrl}/chats/${chatIds[0]}/messages`, undefined, users[0]!.token).catch(() => undefined);
      if (tick % 5 === 0) void http('GET', `${c.apiUrl}/chats`).catch(() => undefined); // 401
    }, 500);
    await sleep(8000);
  });

  after(async () => {
    if (load) clearInterval(load);
    for (const client of clients) client.close();
    await cluster?.stop();
    await receiver?.close();
  });

  it('answers every dashboard panel query with data, from metrics that exist', async () => {
    const c = cluster!;
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    expect(dashboard.panels.length).to.be.greaterThan(10);
    // An error frame on purpose (a message to a chat that is not the sender's), so errors by code has data.
    const stranger = new LoadClient(c.wsUrl, users[2]!.token, chatIds[0]!, 'x');
    await stranger.connect();
    stranger.tick();
    await sleep(3000);
    stranger.close();
    expect(stranger.errors, 'the refused message got an error frame').to.be.greaterThan(0);

    const names = await fetch(`${c.prometheusUrl}/api/v1/label/__name__/values`).then(
      async (r) => ((await r.json()) as { data: string[] }).data,
    );
    const metadata = await fetch(`${c.prometheusUrl}/api/v1/metadata`).then(async (r) =>
      Object.keys(((await r.json()) as { data: Record<string, unknown> }).data),
    );
    const known = new Set([...names, ...metadata]);
    const known_ = (n: string) => known.has(n) || known.has(n.replace(/_(bucket|count|sum|total)$/, ''));

    const problems: string[] = [];
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        for (const name of metricNames(target.expr)) {
          if (!known_(name)) problems.push(`${panel.title}: no metric ${name} (${target.expr})`);
        }
        const expr = target.expr.replaceAll('$__rate_interval', '1m');
        const res = (await fetch(`${c.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`).then((r) => r.json())) as {
          status: string;
          data?: { result: unknown[] };
          error?: string;
        };
        if (res.status !== 'success') problems.push(`${panel.title}: ${res.error} (${expr})`);
        else if (!res.data?.result.length) problems.push(`${panel.title}: empty result (${expr})`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it("loads the alert rules into the cluster's Prometheus, none firing on a healthy cluster", async () => {
    const res = (await fetch(`${cluster!.prometheusUrl}/api/v1/rules?type=alert`).then((r) => r.json())) as {
      data: { groups: Array<{ rules: Array<{ name: string; state: string; health: string }> }> };
    };
    const rules = res.data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).to.deep.equal(
      [
        'DeadLetters',
        'Http5xxRate',
        'InstanceDown',
        'NatsUnreachable',
        'PersisterLagGrowing',
        'PresenceFailures',
        'PublishAckP99High',
        'SlowConsumerCloses',
        'WorkerRestarts',
        'NatsNodeDown',
        'JetStreamStreamNearLimit',
        'PostgresDown',
        'PostgresConnectionsNearMax',
        'WalArchivingFailing',
        'BackupTooOld',
        'RedisDown',
        'RedisMemoryNearMax',
      ].sort(),
    );
    expect(
      rules.filter((r) => r.health !== 'ok' && r.health !== 'unknown').map((r) => r.name),
      'rules that fail to evaluate',
    ).to.deep.equal([]);
    expect(rules.filter((r) => r.state === 'firing').map((r) => r.name)).to.deep.equal([]);
  });

  it('fires NatsNodeDown for a NATS node that is down, and resolves it once the node is back', async () => {
    const c = cluster!;
    const alertState = async () => {
      const res = (await fetch(`${c.prometheusUrl}/api/v1/alerts`).then((r) => r.json())) as {
        data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
      };
      return res.data.alerts.find((a) => a.labels['alertname'] === 'NatsNodeDown' && a.labels['instance'] === 'nats-3')?.state;
    };
    expect(await alertState()).to.equal(undefined);
    const instance = (action: string) =>
      run(join(ROOT, 'scripts/instance.sh'), [action, 'nats-3'], { env: { ...process.env, STACK_DIR: c.dir } });
    await instance('stop'); // held: the supervisor does not start it again
    const stoppedAt = Date.now();
    let state: string | undefined;
    while (Date.now() - stoppedAt < 90_000 && (state = await alertState()) !== 'firing') await sleep(1000);
    expect(state, 'NatsNodeDown for nats-3 within 90 s').to.equal('firing');
    const firedAfterS = (Date.now() - stoppedAt) / 1000;
    await instance('start');
    const startedAt = Date.now();
    while (Date.now() - startedAt < 60_000 && (state = await alertState()) !== undefined) await sleep(1000);
    expect(state, 'NatsNodeDown resolved within 60 s of the restart').to.equal(undefined);
    console.log(
      `      NatsNodeDown fired ${firedAfterS.toFixed(1)} s after the stop, resolved ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the start`,
    );
  });

  it('the dashboard check catches a query on a metric nothing exports', () => {
    expect(metricNames('sum by (instance) (neonchat_persister_consumer_pending)')).to.deep.equal(['neonchat_persister_consumer_pending']);
    expect(metricNames('sum(rate(neonchat_nats_disconnects_total[$__rate_interval])) or vector(0)')).to.deep.equal([
      'neonchat_nats_disconnects_total',
    ]);
    expect(
      metricNames('histogram_quantile(0.99, sum by (le) (rate(neonchat_gateway_publish_ack_seconds_bucket{job="x"}[1m])))'),
    ).to.deep.equal(['neonchat_gateway_publish_ack_seconds_bucket']);
  });

  it("follows one message's trace from the gateway through the stream to the persister, and the api's HTTP, PostgreSQL and Redis spans", async () => {
    const c = cluster!;
    const chatId = chatIds[1]!;
    const find = (pred: (s: ReceivedSpan) => boolean) => receiver.spans.find(pred);
    const deadline = Date.now() + 30_000;
    let publish: ReceivedSpan | undefined;
    let persist: ReceivedSpan | undefined;
    while (Date.now() < deadline) {
      publish = find((s) => s.service === 'gateway' && s.name === 'chat.event publish' && s.attributes['neonchat.chat_id'] === chatId);
      if (publish) {
        const p = publish;
        persist = find(
          (s) =>
            s.service === 'persister' &&
            s.name === 'chat.events persist' &&
            s.links.some((l) => l.spanId === p.spanId && l.traceId === p.traceId),
        );
        if (persist) break;
      }
      await sleep(500);
    }
    expect(publish, 'the gateway exported its publish span').to.not.equal(undefined);
    expect(persist, "a persister batch span links to that message's publish span").to.not.equal(undefined);
    // The persister's PostgreSQL writes are children of its batch span.
    expect(
      receiver.spans.some(
        (s) =>
          s.service === 'persister' &&
          s.traceId === persist!.traceId &&
          s.parentSpanId === persist!.spanId &&
          s.attributes['db.system'] === 'postgresql',
      ),
    ).to.equal(true);

    // The api: one request, its server span, and the PostgreSQL and Redis calls inside it.
    const res = await http('GET', `${c.apiUrl}/chats`, undefined, users[0]!.token, { 'x-request-id': 'trace-test-1' });
    expect(res.status).to.equal(200);
    let server: ReceivedSpan | undefined;
    let inside: ReceivedSpan[] = [];
    const apiDeadline = Date.now() + 20_000;
    while (Date.now() < apiDeadline) {
      server = find((s) => s.service === 'api' && s.kind === 2 && s.attributes['neonchat.request_id'] === 'trace-test-1');
      inside = server ? receiver.spans.filter((s) => s.traceId === server!.traceId && s !== server) : [];
      if (inside.some((s) => s.attributes['db.system'] === 'postgresql') && inside.some((s) => s.attributes['db.system'] === 'redis'))
        break;
      await sleep(500);
    }
    expect(server, 'the api exported a server span for the request').to.not.equal(undefined);
    expect(inside.map((s) => s.attributes['db.system'])).to.include.members(['postgresql', 'redis']);
  });
});
