/**
 * Where a running service allocates: connects to its inspector, samples allocations for a
 * while (objects GC already collected included) and prints the call sites with the most bytes.
 * Allocation is what sets how often the young generation is scavenged, and on shared cores
 * each scavenge is a pause of several ms (docs/BENCHMARKS.md, "Where the p99 … comes from").
 *
 *   node bench/dist/main.js --only messages --set node_args=--inspect=127.0.0.1:0 …   # prints each service's ws://… URL
 *   node bench/dist/alloc-profile.js ws://127.0.0.1:PORT/ID [--seconds 8] [--top 25] [--depth 3]
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { summarizeAllocations, type SamplingHeapProfileNode } from './alloc-summary.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '8' },
    top: { type: 'string', default: '25' },
    depth: { type: 'string', default: '3' },
  },
});
const url = positionals[0];
if (!url?.startsWith('ws://')) throw new Error('usage: alloc-profile.js ws://HOST:PORT/ID [--seconds 8] [--top 25] [--depth 3]');
const seconds = Number(values.seconds);
if (!(seconds > 0 && seconds <= 300)) throw new Error('--seconds: 1..300');
const top = Number(values.top);
const depth = Number(values.depth);
if (!(Number.isInteger(top) && top >= 1 && top <= 1000)) throw new Error('--top: 1..1000');
if (!(Number.isInteger(depth) && depth >= 1 && depth <= 20)) throw new Error('--depth: 1..20');

const socket = new WebSocket(url);
const waiting = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void }>();
let nextId = 0;
socket.on('message', (data) => {
  const reply = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: unknown };
  const entry = reply.id === undefined ? undefined : waiting.get(reply.id);
  if (!entry) return;
  waiting.delete(reply.id!);
  if (reply.error) entry.reject(new Error(JSON.stringify(reply.error)));
  else entry.resolve(reply.result);
});
/** One Chrome DevTools Protocol call. */
function call<T>(method: string, params: object = {}): Promise<T> {
  const id = ++nextId;
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, { resolve: resolve as (result: unknown) => void, reject });
    socket.send(JSON.stringify({ id, method, params }));
  });
}

await new Promise<void>((resolve, reject) => {
  socket.once('open', () => resolve());
  socket.once('error', reject);
});
try {
  await call('HeapProfiler.enable');
  await call('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const { profile } = await call<{ profile: { head: SamplingHeapProfileNode } }>('HeapProfiler.stopSampling');
  const summary = summarizeAllocations(profile.head, seconds, depth, top);
  console.log(`${(summary.bytesPerSecond / 1e6).toFixed(1)} MB/s allocated (sampled over ${seconds} s)`);
  for (const s of summary.sites) console.log(`${(s.share * 100).toFixed(1).padStart(5)} %  ${s.site}`);
} finally {
  socket.close();
}
