import { startReaderApi } from '../load/reader-api.js';
import type { Figure, Scenario, ScenarioContext, ScenarioResult } from '../scenario.js';
import { closedLoop, percentile, type LoadResult } from './history-load.js';
import { persisterScenario } from './persister.js';
import { SEARCH_KINDS, searchText, seedSearch, type SearchKind, type SearchSeed } from './search-seed.js';

const SUSTAINED = 'sustained written (10 %→90 %)';
const round = (n: number) => Math.round(n * 100) / 100;

function latencyFigures(prefix: string, run: LoadResult, target?: { ms: number; label: string }): Figure[] {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  const p95 = percentile(sorted, 95);
  return [
    { name: `${prefix} p50`, value: round(percentile(sorted, 50)), unit: 'ms' },
    { name: `${prefix} p95`, value: round(p95), unit: 'ms', ...(target ? { target: target.label, met: p95 < target.ms } : {}) },
    { name: `${prefix} p99`, value: round(percentile(sorted, 99)), unit: 'ms' },
    { name: `${prefix} throughput`, value: Math.round(run.requests / run.seconds), unit: 'req/s' },
    { name: `${prefix} errors`, value: run.errors, unit: 'requests', target: '0', met: run.errors === 0 },
  ];
}

/** One search of each kind, answered: how many hits a page had (the load is only worth its figures if searches find something). */
async function sampleHits(searchUrl: (kind: SearchKind) => string, headers: Record<string, string>): Promise<string> {
  const counts: string[] = [];
  for (const kind of SEARCH_KINDS) {
    const res = await fetch(searchUrl(kind), { headers });
    const body = (await res.json()) as { hits?: unknown[] };
    counts.push(`${kind} ${res.status === 200 ? (body.hits?.length ?? 0) : `HTTP ${res.status}`}`);
  }
  return counts.join(', ');
}

/** The searches and `around` pages against one api process over the seeded database. */
async function readLoad(ctx: ScenarioContext, databaseUrl: string, seeded: SearchSeed) {
  const { env, params, quick, log } = ctx;
  const workers = Number(params.search_workers ?? 8);
  const seconds = Number(params.search_seconds ?? (quick ? 10 : 30));
  const limit = Number(params.search_limit ?? 20);
  const aroundLimit = Number(params.around_limit ?? 50);
  const { api, base, headers } = await startReaderApi(env, databaseUrl, { id: seeded.readerId, username: seeded.readerName }, params.pool);
  try {
    const searchUrl = (kind: SearchKind) => `${base}/search/messages?limit=${limit}&q=${encodeURIComponent(searchText(kind))}`;
    const mixed = () => searchUrl(SEARCH_KINDS[Math.floor(Math.random() * SEARCH_KINDS.length)]!);
    const aroundUrl = () => {
      const chat = seeded.readerChats[Math.floor(Math.random() * seeded.readerChats.length)]!;
      const seq = 1 + Math.floor(Math.random() * Math.max(1, seeded.perChat));
      return `${base}/chats/${chat}/messages?around=${seq}&limit=${aroundLimit}`;
    };
    const hits = await sampleHits(searchUrl, headers);
    log(`hits per kind of search: ${hits}`);
    log('warming up');
    await closedLoop(mixed, headers, workers, 1);
    log(`search: ${workers} clients for ${seconds} s`);
    const search = await closedLoop(mixed, headers, workers, seconds);
    const perKind: Array<{ kind: SearchKind; run: LoadResult }> = [];
    for (const kind of SEARCH_KINDS)
      perKind.push({ kind, run: await closedLoop(() => searchUrl(kind), headers, workers, Math.max(2, seconds / 4)) });
    log(`around: ${workers} clients for ${seconds} s`);
    const around = await closedLoop(aroundUrl, headers, workers, seconds);
    return { search, perKind, around, hits, workers, seconds, limit, aroundLimit, api: { cpu: api.cpuSeconds(), rss: api.peakRssMiB() } };
  } finally {
    await api.stop();
  }
}

/** The persister scenario twice, the search index dropped and then in place: sustained rate of each and their ratio. */
async function writeComparison(ctx: ScenarioContext): Promise<{ figures: Figure[]; notes: string[] }> {
  const sustained = async (index: 'on' | 'off') => {
    ctx.log(`persister with the search index ${index}`);
    const result = await persisterScenario.run({ ...ctx, params: { ...ctx.params, persister_search_index: index } });
    const figure = result.figures.find((f) => f.name === SUSTAINED);
    const stored = result.figures.find((f) => f.name === 'rows in PostgreSQL');
    if (!figure || stored?.met === false) throw new Error(`persister run (index ${index}) gave no sustained rate or lost rows`);
    return figure.value;
  };
  const without = await sustained('off');
  const withIndex = await sustained('on');
  const ratio = without > 0 ? withIndex / without : 0;
  return {
    figures: [
      { name: 'persister sustained, no search index', value: without, unit: 'msg/s' },
      { name: 'persister sustained, search index', value: withIndex, unit: 'msg/s' },
      {
        name: 'persister with the index / without',
        value: round(ratio),
        unit: 'ratio',
        target: '≥ 0.85 (issue 30: within 15 %)',
        met: ratio >= 0.85,
      },
    ],
    notes: [
      'write path: the persister scenario run twice on fresh databases, first with messages_search_idx dropped, then with it (persister_* parameters apply to both)',
    ],
  };
}

export const searchScenario: Scenario = {
  name: 'search',
  description:
    'GET /search/messages and history around= over 1 M messages in 1,000 chats for a member of 50, 8 concurrent clients; the persister with and without the search index',
  whenAsked: true,
  async run(ctx): Promise<ScenarioResult> {
    const messages = Number(ctx.params.search_messages ?? 1_000_000);
    const chats = Number(ctx.params.search_chats ?? 1000);
    const memberOf = Number(ctx.params.search_member_of ?? 50);
    const write = (ctx.params.search_write ?? '1') !== '0';
    const databaseUrl = await ctx.env.freshDatabase();
    ctx.log(`seeding ${messages} messages over ${chats} chats, the reader in ${memberOf}`);
    const seeded = await seedSearch(databaseUrl, messages, chats, memberOf);
    ctx.log(`seeded and indexed in ${seeded.seconds.toFixed(1)} s`);
    const read = await readLoad(ctx, databaseUrl, seeded);
    const written = write ? await writeComparison(ctx) : { figures: [], notes: ['write path not measured (search_write=0)'] };
    const clients = `${read.workers} clients`;
    return {
      scenario: 'search',
      description: searchScenario.description,
      parameters: {
        messages,
        chats,
        member_of: memberOf,
        workers: read.workers,
        seconds: read.seconds,
        limit: read.limit,
        around_limit: read.aroundLimit,
        write_compared: write,
      },
      figures: [
        ...latencyFigures(`search (${clients})`, read.search, { ms: 50, label: '< 50 ms (issue 30)' }),
        ...read.perKind.map(({ kind, run }) => {
          const sorted = [...run.latenciesMs].sort((a, b) => a - b);
          return { name: `search p95, ${kind.replace('_', ' ')} only`, value: round(percentile(sorted, 95)), unit: 'ms' };
        }),
        ...latencyFigures(`around (${clients})`, read.around, { ms: 10, label: '< 10 ms (issue 30)' }),
        ...written.figures,
      ],
      processes: [{ name: 'api', cpuSeconds: round(read.api.cpu), peakRssMiB: round(read.api.rss) }],
      notes: [
        `seeded ${messages.toLocaleString('en')} messages over ${chats} chats (${seeded.perChat} each, interleaved in time), the reader a member of ${seeded.readerChats.length}, in ${seeded.seconds.toFixed(1)} s; index: ${seeded.indexDefinition}`,
        `searches: a common word, two common words, the first letters of one (prefix), a rare word, mixed evenly; hits on a sample page: ${read.hits}`,
        `around: a random seq of a random chat of the reader's, limit=${read.aroundLimit}`,
        ...written.notes,
      ],
    };
  },
};
