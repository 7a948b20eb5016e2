// A worker for runServiceCluster's tests: it speaks the primary's protocol with no service behind
// it. FIXTURE_VALUE is its metric, FIXTURE_CRASH_AFTER_MS makes it die, FIXTURE_EXIT_CODE is
// what it exits with when told to drain.
const value = Number(process.env.FIXTURE_VALUE ?? 1);
const crashAfterMs = Number(process.env.FIXTURE_CRASH_AFTER_MS ?? 0);
const metrics = [
  { name: 'fixture_things_total', help: 'Things', type: 'counter', aggregator: 'sum', values: [{ value, labels: {} }] },
  { name: 'fixture_open', help: 'Open things', type: 'gauge', aggregator: 'sum', values: [{ value: 1, labels: {} }] },
];

process.send({ type: 'neonchat:state', ready: true });
process.on('message', (message) => {
  if (message.type === 'neonchat:metrics-request') process.send({ type: 'neonchat:metrics', id: message.id, metrics });
  if (message.type === 'neonchat:shutdown') process.exit(Number(process.env.FIXTURE_EXIT_CODE ?? 0));
});
if (crashAfterMs > 0) setTimeout(() => process.exit(3), crashAfterMs);
