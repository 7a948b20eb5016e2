/**
 * Where a process spends its CPU, from a V8 `.cpuprofile` (`node --cpu-prof`): the functions
 * with the most self time, and the time spent inside each package or source file (inclusive).
 *
 *   node bench/dist/profile-summary.js <file.cpuprofile> [--top 15] [--from-s S] [--to-s S]
 *
 * The bench writes gateway profiles with `--set profile_dir=<dir>` and logs, for each traffic
 * phase, the --from-s/--to-s window (seconds since the gateways started) that covers it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: number[];
}

export interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time that was not idle, in ms. */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly selfTime: Array<{ name: string; ms: number; share: number }>;
  readonly byModule: Array<{ name: string; ms: number; share: number }>;
}

/** `uWebSockets.js`, `@nats-io/jetstream`, `gateway/src/gateway.ts`, `node:internal`, `(garbage collector)`… */
export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  const m = /\/(common|api|gateway|persister|presence|bench)\/(?:dist|src)\/(.+?)\.[jt]s$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '');
}

/** Samples from `fromS` to `toS` seconds after the profile started (the process start). */
export interface ProfileWindow {
  readonly fromS?: number;
  readonly toS?: number;
}

export function summarizeProfile(profile: CpuProfile, top = 15, window: ProfileWindow = {}): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inModule = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  const fromMs = (window.fromS ?? 0) * 1000;
  const toMs = (window.toS ?? Number.POSITIVE_INFINITY) * 1000;
  let atMs = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    atMs += dt;
    const node = byId.get(id);
    if (!node || atMs < fromMs || atMs > toMs) return;
    const fn = node.callFrame.functionName || '(anonymous)';
    if (fn === '(idle)' || fn === '(program)') {
      idle += dt;
      return;
    }
    busy += dt;
    const where = node.callFrame.url ? `${moduleOf(node.callFrame.url, fn)}:${node.callFrame.lineNumber + 1}` : '';
    const key = where ? `${fn} (${where})` : fn;
    self.set(key, (self.get(key) ?? 0) + dt);
    // Inclusive per module: count each module once per sample however deep it recurses.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n || n.callFrame.functionName === '(root)') continue;
      seen.add(moduleOf(n.callFrame.url, n.callFrame.functionName || '(anonymous)'));
    }
    for (const m of seen) inModule.set(m, (inModule.get(m) ?? 0) + dt);
  });
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: busy ? Math.round((ms / busy) * 1000) / 10 : 0 }));
  return { busyMs: Math.round(busy), idleMs: Math.round(idle), selfTime: rank(self), byModule: rank(inModule) };
}

export function profileMarkdown(file: string, s: ProfileSummary): string {
  const lines = [
    `Profile ${file}: ${(s.busyMs / 1000).toFixed(1)} s busy, ${(s.idleMs / 1000).toFixed(1)} s idle.`,
    '',
    '| self time | ms | % of busy |',
    '| --- | ---: | ---: |',
    ...s.selfTime.map((r) => `| ${r.name} | ${r.ms} | ${r.share} |`),
    '',
    '| inside (inclusive) | ms | % of busy |',
    '| --- | ---: | ---: |',
    ...s.byModule.map((r) => `| ${r.name} | ${r.ms} | ${r.share} |`),
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '15' }, 'from-s': { type: 'string' }, 'to-s': { type: 'string' } },
  });
  if (positionals.length === 0) {
    console.error('usage: node bench/dist/profile-summary.js <file.cpuprofile> [--top 15] [--from-s S] [--to-s S]');
    process.exit(2);
  }
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const window = {
      ...(values['from-s'] ? { fromS: Number(values['from-s']) } : {}),
      ...(values['to-s'] ? { toS: Number(values['to-s']) } : {}),
    };
    console.log(profileMarkdown(file, summarizeProfile(profile, Number(values.top), window)), '\n');
  }
}
