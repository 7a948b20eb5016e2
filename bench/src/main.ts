/**
 * `make bench`: runs the benchmark scenarios against real servers on loopback and writes
 * bench/out/report.{json,md}. `--full` runs the long versions; `--only a,b` picks scenarios;
 * `--set key=value` passes a parameter to them.
 */
import { parseArgs } from 'node:util';
import { startBenchEnvironment } from './bench-environment.js';
import { interruptTeardown } from './load/interrupt-teardown.js';
import { childrenOf } from '@neonchat/common/testing';
import { SCENARIOS, scenariosToRun } from './scenarios/index.js';
import { markdownTable, writeReport } from './report.js';
import type { ScenarioResult } from './scenario.js';

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: 'bench/out' },
    set: { type: 'string', multiple: true, default: [] },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  for (const s of SCENARIOS) console.log(`${s.name.padEnd(24)} ${s.description}`);
  process.exit(0);
}
const wanted = values.only ? new Set(values.only.split(',')) : undefined;
const chosen = scenariosToRun(SCENARIOS, wanted, values.full);
if (wanted)
  for (const name of wanted) if (!SCENARIOS.some((s) => s.name === name)) throw new Error(`no scenario ${name}; --list shows them`);
// The value is everything after the first `=` (node_args=--max-semi-space-size=64 keeps its own).
const params = Object.fromEntries(
  values.set.map((kv) => {
    const at = kv.indexOf('=');
    if (at < 1) throw new Error(`--set ${kv}: expected key=value`);
    return [kv.slice(0, at), kv.slice(at + 1)];
  }),
);

interruptTeardown.listen();
// Run last on an interrupt: a process still starting (a server, a service not ready yet) is in no list.
interruptTeardown.add('processes still starting', () => {
  for (const pid of childrenOf(process.pid)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Gone between the listing and the signal.
    }
  }
});
const env = await startBenchEnvironment();
const results: ScenarioResult[] = [];
let failed = false;
try {
  for (const scenario of chosen) {
    if (interruptTeardown.interrupted) break;
    const log = (message: string) => console.error(`[${scenario.name}] ${message}`);
    log('starting');
    try {
      const result = await scenario.run({ env, quick: !values.full, params, log });
      results.push(result);
      console.log(`\n${markdownTable(result)}\n`);
    } catch (err) {
      failed = true;
      // After an interrupt, the scenario failed because its processes were stopped under it.
      if (!interruptTeardown.interrupted) log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
} finally {
  await env.stop();
}
// After an interrupt the tear-down exits; a partial report would replace the last whole one.
if (!interruptTeardown.interrupted) {
  const written = writeReport(values.out, results);
  console.log(`report: ${written.markdown}, ${written.json}`);
  if (written.plots.length) console.log(`plots: ${written.plots.join(', ')}`);
  for (const warning of written.warnings) console.error(`bench: ${warning}`);
  if (failed) process.exitCode = 1;
}
