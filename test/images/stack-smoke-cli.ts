/**
 * The message smoke (message-smoke.ts) against a running stack, from the command line:
 *   npx tsx test/images/stack-smoke-cli.ts http://127.0.0.1:8080/api/v1 ws://127.0.0.1:8082/ws [messages]
 * Used by scripts/images/compose-smoke.sh against the compose stack's balancer.
 */
import { messageSmoke } from './message-smoke.js';

const [apiUrl, wsUrl, count = '20'] = process.argv.slice(2);
if (!apiUrl || !wsUrl) {
  console.error('usage: stack-smoke-cli.ts API_URL WS_URL [MESSAGES]');
  process.exit(2);
}
messageSmoke({ apiUrl, wsUrl }, Number(count)).then(
  (r) => {
    console.log(
      `stack smoke: ${r.sent} sent, ${r.delivered} delivered, ${r.stored} stored, partner online: ${r.partnerOnline}, in ${r.ms} ms`,
    );
    process.exit(r.delivered === r.sent && r.stored >= r.sent && r.partnerOnline ? 0 : 1);
  },
  (err: unknown) => {
    console.error('stack smoke failed:', err);
    process.exit(1);
  },
);
