/**
 * Where a process allocates, from a V8 sampling heap profile taken with the objects that GC
 * already collected included (so it counts allocation, not what is still alive): the call sites
 * with the most bytes, each named by its innermost frames.
 */

export interface SamplingHeapProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SamplingHeapProfileNode[];
}

export interface AllocationSite {
  /** The innermost `depth` frames, innermost first, joined with " < ". */
  readonly site: string;
  readonly bytes: number;
  readonly share: number;
}

export interface AllocationSummary {
  readonly totalBytes: number;
  readonly bytesPerSecond: number;
  readonly sites: AllocationSite[];
}

/** `name file:line`, with the file cut to its last two path segments. */
function frameName(frame: SamplingHeapProfileNode['callFrame']): string {
  const file = frame.url.split('/').slice(-2).join('/');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

/**
 * Sums the sampled bytes by call site (the innermost `depth` frames) over `seconds` of
 * sampling; the `top` largest sites, largest first. Walks the tree with an explicit stack.
 */
export function summarizeAllocations(head: SamplingHeapProfileNode, seconds: number, depth = 3, top = 25): AllocationSummary {
  const bySite = new Map<string, number>();
  const stack: Array<{ node: SamplingHeapProfileNode; frames: string[] }> = [{ node: head, frames: [] }];
  let totalBytes = 0;
  while (stack.length) {
    const { node, frames } = stack.pop()!;
    const path = [...frames, frameName(node.callFrame)];
    if (node.selfSize > 0) {
      const site = path.slice(-depth).reverse().join(' < ');
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      totalBytes += node.selfSize;
    }
    for (const child of node.children) stack.push({ node: child, frames: path.slice(-depth) });
  }
  const sites = [...bySite.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([site, bytes]) => ({ site, bytes, share: totalBytes ? bytes / totalBytes : 0 }));
  return { totalBytes, bytesPerSecond: seconds > 0 ? totalBytes / seconds : 0, sites };
}
