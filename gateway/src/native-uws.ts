import { createRequire } from 'node:module';
import type * as UwsTypes from 'uWebSockets.js';

export type Uws = typeof UwsTypes;

/**
 * Loads uWebSockets.js and refuses to run without its native binary. The npm build we use
 * falls back silently to a pure-JS implementation on `ws` when the binary does not load; a
 * gateway on it would be many times slower, so that is treated as a failure to start.
 */
export function loadNativeUws(): Uws {
  const require = createRequire(import.meta.url);
  const uws = require('uWebSockets.js') as Uws;
  if (!isNative(uws)) {
    throw new Error(
      'uWebSockets.js fell back to its JavaScript (ws) implementation: the native binary did not load ' +
        `for Node ${process.version} (${process.platform}-${process.arch}, ABI ${process.versions.modules}); refusing to start`,
    );
  }
  return uws;
}

export function isNative(uws: Pick<Uws, 'App'>): boolean {
  return String(uws.App).includes('[native code]');
}
