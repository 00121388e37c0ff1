import { chatEndpoint, responsesEndpoint } from "@switchyard/gateway/testing";

/**
 * The Responses adapter's own CPU per request, in process (process.cpuUsage over N requests, so a
 * busy machine slows it down without billing it): what /v1/responses does that /v1/chat/completions
 * does not — read the body (zod), convert it to chat (and validate that), then render the chat answer
 * as a `response` object (JSON) or as Responses events (a 6-chunk stream with usage). Both sides do
 * their own parse and render, so the difference is the adapter's added cost.
 */
/** The parts of an EndpointSpec timed here (the gateway's type, structurally). */
interface Spec {
  parse(body: unknown): unknown;
  describe(req: unknown): unknown;
  renderJson?(result: unknown, req: unknown): { body: Buffer };
  streamEncoder(req: unknown): { chunk(chunk: unknown): string; end(outcome: unknown): string };
}
const N = Number(process.env.BENCH_ITERATIONS ?? 20_000);

const completion = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-mini",
    choices: [
      { index: 0, message: { role: "assistant", content: "Hello from the fake upstream." }, finish_reason: "stop" },
    ],
    usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
  }),
);
const usage = {
  input_tokens: 42,
  output_tokens: 17,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  estimated: false,
};
const result = {
  status: 200,
  headers: {},
  body: completion,
  usage,
  model: "gpt-4o-mini",
  failure: null,
  responseId: "chatcmpl-1",
  finishReasons: ["stop"],
};
const words = ["Hello ", "from ", "the ", "fake ", "upstream."];
const chunk = (delta: object, finish: string | null = null) => ({
  data: JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    model: "gpt-4o-mini",
    choices: [{ index: 0, delta, finish_reason: finish }],
  }),
  id: "chatcmpl-1",
  usage: null,
  model: "gpt-4o-mini",
  finishReasons: finish ? [finish] : [],
  usageOnly: false,
});
const chunks = [
  chunk({ role: "assistant", content: "" }),
  ...words.map((w) => chunk({ content: w })),
  chunk({}, "stop"),
];
const outcome = { usage } as never;

const chatBody = { model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] };
const responsesBody = { model: "gpt-4o-mini", instructions: "Be brief.", input: "Say hello" };

function cpuPerRequest(run: () => void): number {
  for (let i = 0; i < 2000; i++) run(); // JIT warm-up
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / N;
}

function json(spec: Spec, body: object) {
  return () => {
    const req = spec.parse(body);
    spec.describe(req);
    const rendered = spec.renderJson ? spec.renderJson(result, req) : { body: completion };
    if (rendered.body.length === 0) throw new Error("empty");
  };
}

function stream(spec: Spec, body: object) {
  return () => {
    const req = spec.parse({ ...body, stream: true });
    const encoder = spec.streamEncoder(req);
    let out = 0;
    for (const c of chunks) out += encoder.chunk(c).length;
    out += encoder.end(outcome).length;
    if (out === 0) throw new Error("empty");
  };
}

const chat = chatEndpoint as unknown as Spec;
const responses = responsesEndpoint as unknown as Spec;
const rows = [
  ["chat JSON", cpuPerRequest(json(chat, chatBody))],
  ["responses JSON", cpuPerRequest(json(responses, responsesBody))],
  ["chat stream (7 chunks)", cpuPerRequest(stream(chat, chatBody))],
  ["responses stream (7 chunks)", cpuPerRequest(stream(responses, responsesBody))],
] as const;
console.log(`endpoint work per request, in process, ${N} requests each (CPU µs, user+system)`);
for (const [name, us] of rows) console.log(`${name.padEnd(30)} ${us.toFixed(2).padStart(8)}`);
console.log(
  `adapter's added CPU per request: JSON ${(rows[1][1] - rows[0][1]).toFixed(2)} µs, stream ${(rows[3][1] - rows[2][1]).toFixed(2)} µs`,
);
