// NeonChat soak: the ws-chat.js traffic for 30 minutes (DURATION), sessions reconnecting
// every SESSION_S, and the gateway's memory read before and after from its /metrics
// (METRICS_URL): acked messages, latency and memory must hold for the whole run.
//
//   k6 run -e METRICS_URL=http://127.0.0.1:9082/metrics deploy/k6/ws-soak.js           # 30 min
//   k6 run -e DURATION=2m -e METRICS_URL=http://127.0.0.1:9082/metrics deploy/k6/ws-soak.js   # short form
import { check } from 'k6';
import { Trend } from 'k6/metrics';
import chat, { setup as chatSetup } from './ws-chat.js';
import { gatewayRssBytes } from './lib/neonchat.js';

const PAIRS = Number(__ENV.PAIRS || 50);
const SESSION_S = Number(__ENV.SESSION_S || 30);
/** Growth of the gateway's RSS over the run allowed before the soak fails. */
const MAX_RSS_GROWTH_MIB = Number(__ENV.MAX_RSS_GROWTH_MIB || 64);
const rssGrowth = new Trend('gateway_rss_growth_mib');

export const options = {
  setupTimeout: '5m',
  scenarios: {
    soak: { executor: 'constant-vus', vus: PAIRS * 2, duration: __ENV.DURATION || '30m', gracefulStop: `${SESSION_S + 10}s` },
  },
  thresholds: {
    chat_delivery_ms: ['p(95)<50', 'p(99)<200'],
    chat_message_sent: ['rate>0.99'],
    chat_error_frames: ['count<1'],
    checks: ['rate>0.99'],
    ...(__ENV.METRICS_URL ? { gateway_rss_growth_mib: [`max<${MAX_RSS_GROWTH_MIB}`] } : {}),
  },
};

export function setup() {
  const data = chatSetup();
  data.rssStart = gatewayRssBytes();
  return data;
}

export default chat;

export function teardown(data) {
  const end = gatewayRssBytes();
  if (data.rssStart === undefined || end === undefined) return;
  const growthMiB = (end - data.rssStart) / 1024 / 1024;
  rssGrowth.add(growthMiB);
  check(growthMiB, { [`gateway RSS grew less than ${MAX_RSS_GROWTH_MIB} MiB`]: (g) => g < MAX_RSS_GROWTH_MIB });
}
