/**
 * CPU time of processes, for benches on a shared machine: when other work takes most of the cores, calls/s say
 * more about the neighbours than about the code, while CPU time per call stays comparable between rounds.
 * Linux `/proc/<pid>/stat` for other processes (all threads, in clock ticks of 10 ms), `process.cpuUsage()` for
 * this one.
 */
import { readFileSync } from 'node:fs';

/** Microseconds per clock tick (`getconf CLK_TCK` is 100 on Linux). */
const TICK_US = 10_000;

/** User + system CPU time of process `pid` in µs, or `undefined` where `/proc` cannot tell (not Linux, gone). */
export function processCpuUs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, closed by the last ')'): utime is the 12th, stime 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of this process in µs. */
export function ownCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** A reading of several processes' CPU (this one and `pids`), to subtract from a later one. */
export interface CpuReading {
  readonly own: number;
  readonly others: number | undefined;
}

/** Reads this process and the sum of `pids` (`others` undefined when any of them cannot be read). */
export function readCpu(pids: readonly number[]): CpuReading {
  let others: number | undefined = 0;
  for (const pid of pids) {
    const cpu = processCpuUs(pid);
    others = cpu === undefined || others === undefined ? undefined : others + cpu;
  }
  return { own: ownCpuUs(), others };
}
