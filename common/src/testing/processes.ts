import { readdirSync, readFileSync } from 'node:fs';

/** Processes as Linux's /proc shows them now, for tests and the bench. */

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every pid in /proc. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/**
 * The fields of /proc/<pid>/stat after the command name (the name may hold spaces and
 * parentheses, so it is skipped up to its last `)`): [0] is the state, [1] the parent's pid,
 * [11] and [12] user and system CPU in clock ticks, [21] the resident pages. Undefined once the
 * process is gone.
 */
export function procStatFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number {
  const fields = procStatFields(pid);
  return fields ? Number(fields[1]) : -1;
}

/** The direct children of a process. */
export function childrenOf(pid: number): number[] {
  return allPids().filter((child) => parentOf(child) === pid);
}
