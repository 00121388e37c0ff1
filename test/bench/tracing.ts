import { measureTracingOverhead, printTracing } from "./tracing-overhead.ts";

/**
 * `npm run bench:tracing`: only the tracing case of `npm run bench` (tracing off, custom path, stock
 * SDK; CPU per request and throughput), same knobs: BENCH_DURATION_SEC, BENCH_TRACING_ROUNDS,
 * BENCH_TRACING_WARMUP_SEC, BENCH_TRACING_STOCK=0, BENCH_PIN=0.
 */
const root = new URL("../..", import.meta.url).pathname;
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });
const result = await measureTracingOverhead({
  root,
  body,
  durationSec: Number(process.env.BENCH_DURATION_SEC ?? 10),
  rounds: Number(process.env.BENCH_TRACING_ROUNDS ?? 5),
  warmupSec: Number(process.env.BENCH_TRACING_WARMUP_SEC ?? 18),
});
printTracing(result);
