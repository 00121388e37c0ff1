import { threadMeter } from "./cpu.ts";

/**
 * The ingest probes' one measurement: runs `work`, then prints this process's CPU per unit (`per`
 * events) over it, the wall time, and the split by thread name (main thread's decode, the engine's
 * insert on libuv pool threads, its merges) — the split that tells stages apart on a busy box.
 */
export async function measureByThread(label: string, per: number, work: () => Promise<void>): Promise<void> {
  const meter = threadMeter(process.pid);
  const started = performance.now();
  await work();
  const wall = performance.now() - started;
  const groups = meter.stop().filter(([, us]) => us > 0);
  const total = groups.reduce((sum, [, us]) => sum + us, 0);
  const byThread = groups.map(([name, us]) => `${name} ${(us / per).toFixed(1)}`).join(", ");
  console.log(
    `${label.padEnd(48)} ${(total / per).toFixed(1).padStart(6)} µs/event  wall ${wall.toFixed(0)} ms  [${byThread}]`,
  );
}
