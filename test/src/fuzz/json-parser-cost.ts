/**
 * Per-request cost of the gateway's JSON body parser (depth scan + fastify's default parser) against
 * fastify's default parser alone, on a typical ~1 KB chat body and a ~32 KB one.
 * Run: node test/src/fuzz/json-parser-cost.ts
 */
import { depthBoundedJsonParser, jsonDepthExceeds } from "@switchyard/platform";
import Fastify from "fastify";

type Parse = (body: string) => unknown;

/** Calls a fastify body parser the way fastify does, returning the parsed value. */
function calling(parser: ReturnType<ReturnType<typeof Fastify>["getDefaultJsonParser"]>): Parse {
  const request = {} as Parameters<typeof parser>[0];
  return (body) => {
    let out: unknown;
    parser(request, body, (error: Error | null, value: unknown) => {
      if (error) throw error;
      out = value;
    });
    return out;
  };
}

const chat = JSON.stringify({
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: "You are a helpful assistant that answers briefly and cites sources when it can." },
    {
      role: "user",
      content: "Summarise the attached paragraph in two sentences, keeping the numbers exact. ".repeat(8),
    },
  ],
  temperature: 0.2,
  max_tokens: 256,
  tools: [
    {
      type: "function",
      function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } },
    },
  ],
  user: "user-1234",
});
// Many small objects: more brackets than the bound, so the character scan runs in full.
const many = JSON.stringify({
  model: "m",
  messages: Array.from({ length: 200 }, () => ({ role: "user", content: "hi" })),
});
const big = JSON.stringify({
  model: "m",
  messages: Array.from({ length: 60 }, (_, i) => ({ role: "user", content: `turn ${i} `.repeat(50) })),
});

function nsPerCall(fn: () => unknown, iterations: number): number {
  for (let i = 0; i < iterations / 10; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

const fastifyDefault = Fastify().getDefaultJsonParser("error", "error");
const defaultParse = calling(fastifyDefault);
const boundedParse = calling(depthBoundedJsonParser(fastifyDefault));

for (const [name, body, n] of [
  ["chat", chat, 200_000],
  ["200 messages", many, 50_000],
  ["60 long messages", big, 20_000],
] as const) {
  const rounds = [0, 1, 2, 3, 4].map(() => ({
    default: nsPerCall(() => defaultParse(body), n),
    bounded: nsPerCall(() => boundedParse(body), n),
    scan: nsPerCall(() => jsonDepthExceeds(body), n),
  }));
  const median = (k: "default" | "bounded" | "scan") => rounds.map((r) => r[k]).sort((a, b) => a - b)[2]!;
  console.log(
    `${name} (${body.length} B): fastify default ${(median("default") / 1000).toFixed(2)} µs, with depth bound ${(median("bounded") / 1000).toFixed(2)} µs, scan alone ${(median("scan") / 1000).toFixed(3)} µs (median of 5)`,
  );
}
