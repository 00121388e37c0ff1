import { Agent, request } from "undici";

/**
 * The streaming case of `npm run bench`: time to first token (the first SSE `data:` event the
 * client receives) for a streamed chat completion, called directly on the fake upstream and
 * through the gateway, one request at a time, the two alternated so drift on a shared box hits
 * both alike. Reports each side's p50/p99 and the gateway's added TTFT at p50 (p50 of the
 * gateway minus p50 of direct, and the median of the per-pair differences).
 */
export interface TtftTarget {
  url: string;
  headers: Record<string, string>;
}

export interface TtftResult {
  samples: number;
  directP50: number;
  directP99: number;
  gatewayP50: number;
  gatewayP99: number;
  /** p50(gateway) − p50(direct), ms. */
  addedP50: number;
  /** Median of (gateway − direct) over alternated pairs, ms. */
  pairedMedian: number;
  failures: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const sortedOf = (xs: number[]) => [...xs].sort((a, b) => a - b);

/** ms from sending the request to the first SSE data event; the rest of the body is drained. */
async function ttft(target: TtftTarget, body: string, dispatcher: Agent): Promise<number | null> {
  const started = performance.now();
  const res = await request(target.url, { method: "POST", headers: target.headers, body, dispatcher });
  let first: number | null = null;
  for await (const chunk of res.body) {
    if (first === null && String(chunk).includes("data:")) first = performance.now() - started;
  }
  return res.statusCode === 200 ? first : null;
}

export async function measureStreamTtft(direct: TtftTarget, gateway: TtftTarget, samples: number): Promise<TtftResult> {
  const body = JSON.stringify({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Say hello" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const dispatcher = new Agent({ connections: 2 });
  const d: number[] = [];
  const g: number[] = [];
  const diffs: number[] = [];
  let failures = 0;
  try {
    // Warm-up: connection pools, JIT, the gateway's route-plan cache.
    for (let i = 0; i < 200; i++) {
      await ttft(direct, body, dispatcher);
      await ttft(gateway, body, dispatcher);
    }
    for (let i = 0; i < samples; i++) {
      const gatewayFirst = i % 2 === 0;
      const a = await ttft(gatewayFirst ? gateway : direct, body, dispatcher);
      const b = await ttft(gatewayFirst ? direct : gateway, body, dispatcher);
      const [gv, dv] = gatewayFirst ? [a, b] : [b, a];
      if (gv === null || dv === null) {
        failures += 1;
        continue;
      }
      g.push(gv);
      d.push(dv);
      diffs.push(gv - dv);
    }
  } finally {
    await dispatcher.close();
  }
  const ds = sortedOf(d);
  const gs = sortedOf(g);
  return {
    samples: g.length,
    directP50: quantile(ds, 0.5),
    directP99: quantile(ds, 0.99),
    gatewayP50: quantile(gs, 0.5),
    gatewayP99: quantile(gs, 0.99),
    addedP50: quantile(gs, 0.5) - quantile(ds, 0.5),
    pairedMedian: quantile(sortedOf(diffs), 0.5),
    failures,
  };
}

export function printTtft(r: TtftResult): void {
  const f = (n: number) => n.toFixed(3);
  console.log(
    `\nstreaming: time to first token, ${r.samples} alternated pairs (1 connection)${r.failures ? `, ${r.failures} failed` : ""}`,
  );
  console.log(`  direct   p50 ${f(r.directP50)} ms  p99 ${f(r.directP99)} ms`);
  console.log(`  gateway  p50 ${f(r.gatewayP50)} ms  p99 ${f(r.gatewayP99)} ms`);
  console.log(
    `added TTFT through the gateway at p50: ${f(r.addedP50)} ms (median of pairs ${f(r.pairedMedian)} ms) (target ≤ 1 ms)`,
  );
}
