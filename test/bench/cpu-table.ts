import type { LoadResult } from "./load.ts";
import type { StackCaseResult } from "./stack-case.ts";

interface CpuRow {
  result: LoadResult;
  serverCpuPerRequest: number | null;
  upstreamCpuPerRequest: number | null;
}

const TARGET_GATEWAY_US = 100;
const TARGET_STACK_US = 120;

/**
 * The CPU-per-request table of `npm run bench` (32 connections): the process under test's own CPU
 * (user + system, all threads) over the measured window divided by the requests completed in it.
 * "direct" bills the fake upstream (the floor: a minimal Node HTTP server); "gateway" bills the
 * gateway process only; "stack" bills `npm start`'s one process, ingest's work on those requests
 * included. The fake upstream's column shows what the upstream cost in the same window.
 */
export function printCpu(cases: {
  durationSec: number;
  direct: CpuRow | undefined;
  gateway: CpuRow | undefined;
  stack: StackCaseResult | null;
}): void {
  const us = (n: number | null | undefined) => (n === null || n === undefined ? "n/a" : n.toFixed(1));
  const rows: Array<[string, LoadResult, number | null, number | null, string]> = [];
  if (cases.direct) {
    const d = cases.direct;
    rows.push(["direct (fake upstream)", d.result, d.serverCpuPerRequest, d.upstreamCpuPerRequest, "baseline"]);
  }
  if (cases.gateway) {
    const g = cases.gateway;
    rows.push([
      "gateway, 1 target, events on",
      g.result,
      g.serverCpuPerRequest,
      g.upstreamCpuPerRequest,
      `≤ ${TARGET_GATEWAY_US}`,
    ]);
  }
  if (cases.stack) {
    const s = cases.stack;
    const per = (micros: number | null) =>
      micros === null || !(s.result.requests > 0) ? null : micros / s.result.requests;
    rows.push([
      "embedded stack (gw+ingest+api)",
      s.result,
      per(s.cpuMicros),
      per(s.upstreamCpuMicros),
      `≤ ${TARGET_STACK_US}`,
    ]);
  }
  console.log(
    `\nCPU time per request at 32 connections (user+system, all threads, /proc/<pid>/stat over the ${cases.durationSec}s measured window ÷ requests completed)`,
  );
  console.log("case                              req/s   requests   CPU µs/req   upstream µs/req   target µs");
  for (const [label, result, server, upstream, target] of rows) {
    console.log(
      `${label.padEnd(30)} ${result.requestsPerSec.toFixed(0).padStart(8)} ${String(result.requests).padStart(10)}   ${us(server).padStart(10)}   ${us(upstream).padStart(15)}   ${target}${result.non2xx > 0 ? `  (${result.non2xx} non-2xx!)` : ""}`,
    );
  }
  if (cases.stack) {
    console.log(
      `  stack window closed ${cases.stack.drainMs.toFixed(0)} ms after the load, when ingest had consumed every event (consumer lag 0)`,
    );
    const requests = cases.stack.result.requests;
    if (requests > 0 && cases.stack.threads.length > 0) {
      const parts = cases.stack.threads
        .filter(([, micros]) => micros / requests >= 0.5)
        .map(([name, micros]) => `${name} ${(micros / requests).toFixed(1)}`);
      console.log(`  stack CPU µs/req by thread: ${parts.join(", ")}`);
    }
  }
  console.log(
    "  CPU µs/req bills the process under test only: the fake upstream for direct, the gateway / stack process otherwise",
  );
}
