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

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/** The direct children of a process. */
export function childrenOf(pid: number): number[] {
  return allPids().filter((child) => parentOf(child) === pid);
}
