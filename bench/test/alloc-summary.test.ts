import { expect } from 'chai';
import { summarizeAllocations, type SamplingHeapProfileNode } from '../src/alloc-summary.js';

function node(functionName: string, selfSize: number, children: SamplingHeapProfileNode[] = []): SamplingHeapProfileNode {
  return { callFrame: { functionName, url: `file:///srv/gateway/dist/${functionName}.js`, lineNumber: 9 }, selfSize, children };
}

describe('allocation summary', () => {
  const profile = node('(root)', 0, [
    node('route', 100, [node('parse', 600, [node('walk', 300)]), node('publish', 0, [node('encode', 1000)])]),
    node('receive', 0, [node('parse', 2000)]),
  ]);

  it('sums bytes by the innermost frames, largest first, with their share and rate', () => {
    const summary = summarizeAllocations(profile, 2, 2);
    expect(summary.totalBytes).to.equal(4000);
    expect(summary.bytesPerSecond).to.equal(2000);
    expect(summary.sites.map((s) => [s.site, s.bytes])).to.deep.equal([
      ['parse dist/parse.js:10 < receive dist/receive.js:10', 2000],
      ['encode dist/encode.js:10 < publish dist/publish.js:10', 1000],
      ['parse dist/parse.js:10 < route dist/route.js:10', 600],
      ['walk dist/walk.js:10 < parse dist/parse.js:10', 300],
      ['route dist/route.js:10 < (root) dist/(root).js:10', 100],
    ]);
    expect(summary.sites[0]!.share).to.equal(0.5);
  });

  it('keeps the same function reached by two paths apart when the paths differ within the depth, together when not', () => {
    const deep = summarizeAllocations(profile, 1, 2).sites.filter((s) => s.site.startsWith('parse '));
    expect(deep).to.have.length(2);
    const shallow = summarizeAllocations(profile, 1, 1).sites.find((s) => s.site.startsWith('parse '));
    expect(shallow?.bytes).to.equal(2600);
  });

  it('walks a very deep tree without recursion and cuts the list at top', () => {
    let chain = node('leaf', 8);
    for (let i = 0; i < 20_000; i++) chain = node(`f${i}`, 1, [chain]);
    const summary = summarizeAllocations(chain, 1, 3, 5);
    expect(summary.totalBytes).to.equal(20_008);
    expect(summary.sites).to.have.length(5);
  });
});
