import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as UwsTypes from 'uWebSockets.js';
import type { Logger } from '@neonchat/common/runtime';

export type Uws = typeof UwsTypes;

/**
 * The uWebSockets.js builds the gateway can run on, tried in this order. No single npm build
 * covers both runtimes we ship on:
 * - `@btc-vision/uwebsockets.js` (v20.57): binaries for Node 20, 22, 24 and 25 (ABI 115, 127,
 *   137, 141), linked against glibc 2.38 or newer: the images (Debian trixie, Node 24);
 * - `uWebSockets.js`, our alias of `@trufflesuite/uws-js-unofficial` (v20.30): Node ≤ 20 on an
 *   older glibc, i.e. this machine's Debian bookworm (glibc 2.36). It silently falls back to a
 *   pure-JS implementation on `ws` when its binary does not load, which `isNative` catches.
 */
export const UWS_BUILDS = ['@btc-vision/uwebsockets.js', 'uWebSockets.js'] as const;

/**
 * The largest request head (request line and headers) the gateway reads, as Node's own HTTP
 * server (the api) does by default. uWS 20.57 answers a larger one with 431 and reads its limit
 * from UWS_HTTP_MAX_HEADERS_SIZE when its binary loads, 4 KiB unless set: a token and a
 * `chat_id` of a few KiB in the upgrade's query fit under 20.30 and must fit under 20.57 too.
 * 20.30 has no such setting. An operator's own UWS_HTTP_MAX_HEADERS_SIZE is kept.
 */
export const UWS_MAX_HEADERS_BYTES = 16 * 1024;

/** One build to try: where it comes from, how to load it, and which version it is. */
export interface UwsBuild {
  /** The name it is required by (an alias maps to the package named by `packageName`). */
  readonly name: string;
  load(): Uws;
  /** The installed package's own name and version (read only for the build that loaded). */
  describe(): { packageName: string; version: string };
}

/** What the gateway runs on, named in its start-up log. */
export interface LoadedUws {
  readonly uws: Uws;
  readonly packageName: string;
  readonly version: string;
  readonly node: string;
  readonly abi: string;
  /** The builds tried before this one, and why each was passed over. */
  readonly skipped: readonly { name: string; reason: string }[];
}

/** Thrown when no build gives a native uWebSockets.js on this Node and platform. */
export class NoNativeUwsError extends Error {
  constructor(readonly skipped: readonly { name: string; reason: string }[]) {
    super(
      `no native uWebSockets.js build loads on Node ${process.version} (${process.platform}-${process.arch}, ABI ` +
        `${process.versions.modules}); refusing to start on a fallback: ` +
        skipped.map((s) => `${s.name}: ${s.reason}`).join('; '),
    );
    this.name = 'NoNativeUwsError';
  }
}

/**
 * Loads the first build in `builds` whose native binary loads here, and refuses to run
 * without one: a gateway on the `ws` fallback would be many times slower, so a build that
 * loaded but is not native is passed over like one that threw.
 */
export function loadNativeUws(builds: readonly UwsBuild[] = installedUwsBuilds()): LoadedUws {
  const skipped: { name: string; reason: string }[] = [];
  for (const build of builds) {
    let uws: Uws;
    try {
      uws = build.load();
    } catch (err) {
      skipped.push({ name: build.name, reason: firstLine(err) });
      continue;
    }
    if (!isNative(uws)) {
      skipped.push({ name: build.name, reason: 'fell back to its JavaScript (ws) implementation' });
      continue;
    }
    const { packageName, version } = build.describe();
    return { uws, packageName, version, node: process.version, abi: process.versions.modules, skipped };
  }
  throw new NoNativeUwsError(skipped);
}

/**
 * `loadNativeUws` with the result named in the log: which package and version, on which Node
 * and ABI, and any build passed over (so a host where the first choice fails says why).
 */
export function loadAndNameUws(logger: Pick<Logger, 'info'>, builds?: readonly UwsBuild[]): LoadedUws {
  const loaded = loadNativeUws(builds);
  logger.info(
    {
      uws_package: loaded.packageName,
      uws_version: loaded.version,
      node: loaded.node,
      node_abi: loaded.abi,
      ...(loaded.skipped.length > 0 ? { uws_skipped: loaded.skipped } : {}),
    },
    `uWebSockets.js ${loaded.version} (${loaded.packageName}) loaded natively on Node ${loaded.node}, ABI ${loaded.abi}`,
  );
  return loaded;
}

/** The builds of `UWS_BUILDS` as installed next to this module (a missing one fails to load). */
export function installedUwsBuilds(): UwsBuild[] {
  const require = createRequire(import.meta.url);
  return UWS_BUILDS.map((name) => ({
    name,
    load: () => {
      process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= String(UWS_MAX_HEADERS_BYTES);
      return require(name) as Uws;
    },
    describe: () => readPackageManifest(require.resolve(name)),
  }));
}

export function isNative(uws: Pick<Uws, 'App'>): boolean {
  return typeof uws.App === 'function' && String(uws.App).includes('[native code]');
}

/**
 * The nearest package.json above a package's entry point. Read from disk because
 * `@btc-vision/uwebsockets.js` exports no `./package.json` subpath to require.
 */
function readPackageManifest(entry: string): { packageName: string; version: string } {
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name && manifest.version) return { packageName: manifest.name, version: manifest.version };
    } catch {
      // no manifest at this level: look one up
    }
    if (dirname(dir) === dir) return { packageName: 'unknown', version: 'unknown' };
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  // uWS wraps the dlopen error after its own sentence: keep both ends, they say what and why.
  return lines.length <= 1 ? (lines[0] ?? 'failed to load') : `${lines[0]} … ${lines[lines.length - 1]}`;
}
