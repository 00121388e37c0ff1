import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * CPU time of a process from the kernel's own accounting: utime + stime in /proc/<pid>/stat, which
 * covers every thread of the process (main thread, libuv pool, V8's GC and compiler threads) and
 * holds on a shared, noisy box where req/s does not — other load slows a process down but does not
 * bill it for CPU it did not use. Linux only; null elsewhere.
 */
let ticksPerSecond: number | null = null;

function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** µs of CPU (user + system, all threads) the process has used so far; null when /proc is unavailable. */
export function cpuMicros(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) / clockTicks()) * 1e6;
  } catch {
    return null;
  }
}

/** A running CPU meter over several processes: start() now, stop() returns µs used by each since. */
export function cpuMeter(pids: Record<string, number | undefined>): { stop(): Record<string, number | null> } {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMicros(pid)]));
  return {
    stop() {
      return Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => {
          const start = before[name];
          const end = cpuMicros(pid);
          return [name, start === null || start === undefined || end === null ? null : end - start];
        }),
      );
    },
  };
}
