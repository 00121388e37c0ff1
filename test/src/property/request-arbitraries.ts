import fc from "fast-check";
import type { FakeUsageTotals } from "../fakes/provider-fake.ts";
import type { UpstreamStep } from "./chaos-front.ts";
import { PROPERTY_PROVIDERS, type PropertyProvider } from "./config-arbitraries.ts";

/**
 * Random requests and upstream behaviour for the property test: the endpoint, a body with valid
 * and invalid fields (odd unicode, lone surrogates, huge-but-bounded strings), the metadata header
 * with odd keys and values, the gateway key, the usage the fakes report (absent, cache tokens
 * above input, negative, fractional, enormous) and the script of upstream calls.
 */
export const ENDPOINTS = {
  chat: "/v1/chat/completions",
  embeddings: "/v1/embeddings",
  completions: "/v1/completions",
  messages: "/v1/messages",
} as const;
export type EndpointName = keyof typeof ENDPOINTS;

/** Which of the property's providers the gateway offers each endpoint on. */
export const OFFERED_BY: Record<EndpointName, readonly PropertyProvider[]> = {
  chat: PROPERTY_PROVIDERS,
  messages: PROPERTY_PROVIDERS,
  embeddings: ["openai", "google", "cohere", "mistral"],
  completions: ["openai"],
};

/** Text a client might send: plain, any code point (lone surrogates too), or large. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("Say hi.", "héllo wörld", "日本語で答えて", "🦄🔥 emoji ZWJ 👩‍👩‍👧") },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom("\u0000\u202e\ud800 lone", "\ufeff\u200b", "a\r\nb\tc") },
  // Huge but under the 1 MiB body limit (a 4-byte code point counts two UTF-16 units).
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 60_000 }).map((n) => "ab€𝄞".repeat(n)) },
);

const model = fc.oneof(
  { weight: 18, arbitrary: fc.constantFrom("gpt-4o-mini", "claude-3-5-haiku-latest", "gemini-2.0-flash") },
  { weight: 1, arbitrary: fc.constantFrom("modèle/ünï:v1 🚀", "m".repeat(300), "", "does-not-exist") },
  { weight: 1, arbitrary: fc.constantFrom(42, null, ["gpt"], { x: 1 }, true) },
);

/** A field that is present, absent, or of the wrong type. */
function field<T>(good: fc.Arbitrary<T>, bad: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: good },
    { weight: 1, arbitrary: fc.constantFrom(...bad) },
  );
}

// Streams half the time: cuts, usage chunks and stream_interrupted need them.
const stream = fc.oneof(
  { weight: 10, arbitrary: fc.constant(true) },
  { weight: 9, arbitrary: fc.constantFrom(undefined, false) },
  { weight: 1, arbitrary: fc.constantFrom("yes", 1) },
);
// Fields the gateway does not know pass through; now and then a known one of the wrong type.
const extras = fc.oneof(
  { weight: 9, arbitrary: fc.dictionary(fc.constantFrom("vendor_x", "ünknown", "x_odd-ключ"), text, { maxKeys: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom({ logit_bias: "x" }, { metadata: "not an object" }, { n: -1 }) },
);

function body(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(fc.record(fields), extras).map(([known, extra]) => {
    const out: Record<string, unknown> = { ...extra };
    for (const [k, v] of Object.entries(known)) if (v !== undefined) out[k] = v;
    return out;
  });
}

const chatBody = body({
  model,
  messages: fc.oneof(
    { weight: 9, arbitrary: fc.array(text, { minLength: 1, maxLength: 3 }).map((t) => t.map(userMessage)) },
    { weight: 1, arbitrary: fc.constantFrom([], "hi", [{ role: "robot", content: 1 }]) },
  ),
  stream,
  max_tokens: field(fc.integer({ min: 1, max: 64 }), [-3, "many", 1.5]),
  temperature: field(fc.double({ min: 0, max: 2, noNaN: true }), ["hot", 9]),
  user: field(fc.string({ unit: "grapheme", maxLength: 30 }), [7, "u".repeat(300)]),
  stream_options: field(fc.constant({ include_usage: true }), ["x"]),
});

const embeddingsBody = body({
  model,
  input: fc.oneof(
    { weight: 6, arbitrary: text },
    { weight: 3, arbitrary: fc.array(text, { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(42, [], null) },
  ),
  encoding_format: field(fc.constantFrom("float", "base64"), ["hex"]),
  dimensions: field(fc.integer({ min: 1, max: 256 }), [-1]),
});

const completionsBody = body({
  model,
  prompt: fc.oneof({ weight: 9, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(42, null) }),
  max_tokens: field(fc.integer({ min: 1, max: 64 }), [-3]),
  stream,
});

const messagesBody = body({
  model,
  max_tokens: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 64 }) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, "x", 0) },
  ),
  messages: fc.oneof(
    { weight: 9, arbitrary: fc.array(text, { minLength: 1, maxLength: 2 }).map((t) => t.map(userMessage)) },
    { weight: 1, arbitrary: fc.constantFrom([], [{ role: "system", content: "x" }]) },
  ),
  system: field(text, [5]),
  stream,
});

function userMessage(content: string) {
  return { role: "user", content };
}

/** Request JSON, or (rarely) bytes that are not JSON / not an object. */
export const requestArb: fc.Arbitrary<{ endpoint: EndpointName; body: Record<string, unknown> | string }> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ endpoint: fc.constant("chat" as const), body: chatBody }) },
  { weight: 4, arbitrary: fc.record({ endpoint: fc.constant("embeddings" as const), body: embeddingsBody }) },
  { weight: 4, arbitrary: fc.record({ endpoint: fc.constant("completions" as const), body: completionsBody }) },
  { weight: 4, arbitrary: fc.record({ endpoint: fc.constant("messages" as const), body: messagesBody }) },
  {
    weight: 1,
    arbitrary: fc.record({
      endpoint: fc.constantFrom<EndpointName>("chat", "embeddings", "messages"),
      body: fc.constantFrom("{not json", "[1,2]", '"str"', "", "null"),
    }),
  },
);

/** The x-portkey-metadata header: absent, a JSON object with odd keys and values, or not an object. */
export const metadataArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom("pro", "free", "p", "ünï", undefined),
        fc.dictionary(
          fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom("_user", "team", "env", "ünï-kéy", "🔑", "a.b", "$eq") },
            { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 12 }) },
          ),
          fc.oneof(
            { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
            { weight: 1, arbitrary: fc.constantFrom(42, true, "", "\u0000\u202e", "v".repeat(128)) },
          ),
          { maxKeys: 4 },
        ),
      )
      .map(([tier, rest]) => asciiJson(tier === undefined ? rest : { ...rest, tier })),
  },
  // Past the limits (a 129-character value, a 200-character key, nested values) or not an object.
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `{"k":"${"v".repeat(129)}"}`,
      `{"${"k".repeat(200)}":"v"}`,
      '{"n":{"x":1}}',
      '{"a":null}',
      "{",
      "[1]",
      "null",
      "\u00ff\u00fe",
    ),
  },
);

/** JSON with every non-ASCII character escaped: header values must be Latin-1 for fetch. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Mostly the open (local-dev) gateway; else the keyed one, with its key, without, or a wrong one. */
export const authArb = fc.constantFrom<"open" | "keyed" | "missing" | "wrong">(
  ...(["keyed", "missing", "wrong"] as const),
  ...Array.from({ length: 13 }, () => "open" as const),
);

const odd = (u: FakeUsageTotals) => u;
export const usageArb: fc.Arbitrary<FakeUsageTotals | null> = fc.constantFrom(
  odd({ input: 42, output: 17, cacheRead: 10, cacheWrite: 4, reasoning: 3 }),
  null,
  odd({ input: 5, output: 3, cacheRead: 100, cacheWrite: 50, reasoning: 9 }),
  odd({ input: -5, output: -1, cacheRead: -3, cacheWrite: 0, reasoning: -2 }),
  odd({ input: 1.5, output: 2.25, cacheRead: 0.5, cacheWrite: 0, reasoning: 0 }),
  // Not numbers at all: the providers' usage blocks then carry strings and nulls.
  odd({ input: "42", output: null, cacheRead: "many", cacheWrite: {}, reasoning: [] } as unknown as FakeUsageTotals),
  odd({ input: 1e15, output: 9e15, cacheRead: 0, cacheWrite: 0, reasoning: 1e16 }),
);

const stepArb: fc.Arbitrary<UpstreamStep> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "ok" } as const) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("json-error" as const),
      status: fc.constantFrom(400, 401, 403, 404, 408, 422, 429, 500, 502, 503, 504),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cut" as const), afterEvents: fc.nat(3) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("text-error" as const),
      status: fc.constantFrom(200, 400, 429, 500, 502, 503),
      body: fc.constantFrom("<html>Bad Gateway</html>", "", "oops sk-live-abc123", "{truncated", "{}", "[]"),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "reset" } as const) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("slow" as const), ms: fc.integer({ min: 5, max: 150 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "stall" } as const) },
);

export const scriptArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant<UpstreamStep[]>([]) },
  { weight: 3, arbitrary: fc.array(stepArb, { minLength: 1, maxLength: 4 }) },
);
