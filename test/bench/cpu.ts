import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

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

/** µs of CPU per thread of the process so far, by thread id, with the thread's name (/proc/<pid>/task/<tid>/comm). */
function threadCpu(pid: number): Map<string, { name: string; micros: number }> {
  const threads = new Map<string, { name: string; micros: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      threads.set(tid, { name, micros: ((Number(fields[11]) + Number(fields[12])) / clockTicks()) * 1e6 });
    } catch {
      // the thread exited between readdir and read
    }
  }
  return threads;
}

/**
 * CPU used by each group of same-named threads of a process between start and stop() (MainThread,
 * V8Worker, libuv-worker, and a native library's own threads, e.g. chdb's), most first. CPU of
 * threads that ended inside the window is not in /proc any more: `exited` is the process total
 * minus what the live threads account for.
 */
export function threadMeter(pid: number | undefined): { stop(): Array<[string, number]> } {
  if (pid === undefined) return { stop: () => [] };
  const before = threadCpu(pid);
  const totalBefore = cpuMicros(pid);
  return {
    stop() {
      const groups = new Map<string, number>();
      let accounted = 0;
      for (const [tid, now] of threadCpu(pid)) {
        const used = now.micros - (before.get(tid)?.micros ?? 0);
        accounted += used;
        groups.set(now.name, (groups.get(now.name) ?? 0) + used);
      }
      const totalAfter = cpuMicros(pid);
      if (totalBefore !== null && totalAfter !== null) {
        const exited = totalAfter - totalBefore - accounted;
        if (exited > 0) groups.set("(threads that exited)", exited);
      }
      return [...groups].sort((a, b) => b[1] - a[1]);
    },
  };
}
