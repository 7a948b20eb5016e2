import type { ChildProcess } from 'node:child_process';
import { stopChild, waitFor } from '@neonchat/common/testing';

/** How long a child that did not become ready gets to exit on SIGTERM before SIGKILL. */
const TERM_GRACE_MS = 3000;

/**
 * Waits until `ready()` says so; if the child exits first or the time runs out, the child is
 * ended before the error is thrown. A service left running after its start failed (an api
 * retrying Redis forever) kept the bench's process alive: the run hung instead of failing.
 */
export async function waitChildReady(
  child: ChildProcess,
  name: string,
  ready: () => Promise<boolean | undefined>,
  timeoutMs: number,
): Promise<void> {
  let onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = (code, signal) => reject(new Error(`${name} exited with ${code ?? signal}`));
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
    else child.once('exit', onExit);
  });
  try {
    // An exit ends the wait at once (waitFor alone would retry until its timeout).
    await Promise.race([waitFor(async () => ready(), { timeoutMs, what: `${name} ready` }), exited]);
  } catch (err) {
    await stopChild(child, { graceMs: TERM_GRACE_MS });
    throw err;
  } finally {
    if (onExit) child.off('exit', onExit);
  }
}
