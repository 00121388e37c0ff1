import { ProviderId } from "@switchyard/gateway/testing";
import fc from "fast-check";

/**
 * Hostile values for the fuzz test's requests: junk field values and bodies, and junk x-portkey-*
 * headers. No value names a real provider, so anything served goes to the in-process mock provider.
 */

/** Strings that bite: control characters, unicode, quotes, bracket runs, very long runs (bounded). */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "null", "[", "{", '"', "\\", "\u0000", "\ud800", "💥", "NaN", "-1", "1e999", "__proto__"),
  fc.integer({ min: 1_000, max: 80_000 }).map((n) => "x".repeat(n)),
);

/** A JSON value nested `depth` levels deep, as text (so 10,000 levels cost nothing to build). */
const deepJsonText = fc
  .tuple(fc.integer({ min: 1, max: 12_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
  );

/** Raw JSON tokens JSON.stringify cannot produce: overflowing, underflowing and very long numbers. */
const rawNumber = fc.constantFrom("1e999", "-1e999", "1e-400", "-0", "123456789012345678901234567890", "0.1e+308");

/** Any JSON-ish value a field might receive instead of the right type; raw tokens spliced in as text. */
const junkValueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "null") },
  { weight: 2, arbitrary: nastyString.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: deepJsonText },
  { weight: 1, arbitrary: rawNumber },
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 300 }).map((a) => JSON.stringify(a)) },
);

const CHAT_FIELDS = [
  "model",
  "messages",
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "n",
  "stream",
  "stream_options",
  "stop",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "user",
  "seed",
  "logprobs",
  "top_logprobs",
  "presence_penalty",
  "frequency_penalty",
  "logit_bias",
  "metadata",
  "input",
  "prompt",
  "system",
];

/** A chat body whose fields are replaced by junk: a valid base with 1–4 fields of the wrong type. */
export const junkChatBody = fc
  .tuple(
    fc.uniqueArray(fc.constantFrom(...CHAT_FIELDS), { minLength: 1, maxLength: 4 }),
    fc.array(junkValueText, { minLength: 4, maxLength: 4 }),
  )
  .map(([fields, values]) => {
    const base: Record<string, string> = {
      model: '"mock-model"',
      messages: '[{"role":"user","content":"hi"}]',
    };
    fields.forEach((field, i) => {
      base[field] = values[i] ?? "null";
    });
    return `{${Object.entries(base)
      .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
      .join(",")}}`;
  });

/** Messages that look almost right: junk roles, content parts and tool calls. */
export const junkMessagesBody = fc
  .array(
    fc.record(
      {
        role: fc.oneof(fc.constantFrom("user", "assistant", "system", "tool", "developer", "function"), nastyString),
        content: fc.oneof(
          nastyString,
          fc.array(
            fc.record(
              { type: fc.oneof(fc.constantFrom("text", "image_url", "input_audio"), nastyString), text: nastyString },
              { requiredKeys: [] },
            ),
            { maxLength: 3 },
          ),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        tool_calls: fc.jsonValue({ maxDepth: 3 }),
        name: nastyString,
      },
      { requiredKeys: [] },
    ),
    { maxLength: 4 },
  )
  .map((messages) => JSON.stringify({ model: "mock-model", messages }));

/** Bodies broken as JSON text. */
export const malformedJsonBody = fc.oneof(
  fc.constantFrom(
    "",
    "{",
    "}",
    "{nope",
    '{"model":',
    "[",
    "null",
    "true",
    "1",
    '"str"',
    "{}",
    "[]",
    "\ufeff{}",
    '{"a":1,}',
    "{'a':1}",
  ),
  fc.string({ maxLength: 200 }),
  deepJsonText,
  fc.integer({ min: 1, max: 100_000 }).map((n) => `{"model":"${"m".repeat(n)}`),
);

const junkHeaderValue = fc.oneof(
  fc.constantFrom("", "null", "{}", "[]", "[1]", '{"a":', "true", "1e999", "undefined", "\t"),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
  fc.string({ maxLength: 60 }),
  // Long values: most within Node's 16 KiB header budget, a few beyond it (431).
  fc.integer({ min: 100, max: 6_000 }).map((n) => "h".repeat(n)),
  fc.integer({ min: 16_000, max: 20_000 }).map((n) => "h".repeat(n)),
  deepJsonText.filter((t) => t.length < 8_000),
);

/** A config that parses but is wrong in every way; its targets only ever name the mock provider. */
const junkConfig = fc
  .record(
    {
      strategy: fc.oneof(
        fc.record(
          {
            mode: fc.oneof(fc.constantFrom("fallback", "loadbalance", "single", "conditional"), nastyString),
            on_status_codes: fc.jsonValue({ maxDepth: 2 }),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      targets: fc.oneof(
        fc.array(
          fc.record(
            {
              provider: fc.oneof(fc.constant("mock"), fc.constantFrom("nope", "", "MOCK")),
              weight: fc.jsonValue({ maxDepth: 1 }),
              override_params: fc.oneof(
                fc.jsonValue({ maxDepth: 3 }),
                fc.record({ model: fc.jsonValue({ maxDepth: 2 }) }),
              ),
              retry: fc.jsonValue({ maxDepth: 2 }),
              targets: fc.jsonValue({ maxDepth: 2 }),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 200 },
        ),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      retry: fc.jsonValue({ maxDepth: 2 }),
      request_timeout: fc.jsonValue({ maxDepth: 1 }),
      cache: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  )
  .map((config) => JSON.stringify(config));

/** Every provider the registry knows except the in-process mock: a fuzzed request must never name one. */
const REAL_PROVIDERS = new Set<string>(ProviderId.options.filter((id) => id !== "mock"));

const HEADER_POOL = {
  "x-portkey-provider": fc.oneof(
    fc.constant("mock"),
    // Never blank: a request without a provider goes to the default one (OpenAI), over the network.
    fc.string({ maxLength: 70 }).filter((s) => s.trim() !== "" && !REAL_PROVIDERS.has(s.trim().toLowerCase())),
  ),
  "x-portkey-config": fc.oneof(junkConfig, junkHeaderValue),
  "x-portkey-metadata": junkHeaderValue,
  "x-portkey-trace-id": junkHeaderValue,
  "x-portkey-api-key": junkHeaderValue,
  "x-portkey-virtual-key": junkHeaderValue,
  "x-portkey-custom-host": fc.constantFrom(
    "not a url",
    "http://",
    "ftp://x",
    "http://169.254.169.254",
    "javascript:alert(1)",
  ),
  "x-portkey-retry-count": junkHeaderValue,
  "x-portkey-request-timeout": fc.constantFrom("0", "-1", "1e9", "abc", "999999999999"),
  "x-portkey-cache-force-refresh": junkHeaderValue,
  "x-portkey-forward-headers": junkHeaderValue,
  authorization: fc.oneof(
    fc.constant("Bearer "),
    junkHeaderValue.map((v) => `Bearer ${v}`),
  ),
  "content-type": fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "APPLICATION/JSON",
    "",
    "*/*",
    "application/json; charset=latin1",
  ),
  expect: fc.constantFrom("junk", "100-continue", "", "200-ok"),
};

type PoolName = keyof typeof HEADER_POOL;
const POOL_NAMES = Object.keys(HEADER_POOL) as PoolName[];

/**
 * Mostly the mock provider plus up to three junk headers from the pool (a 1-in-20 chance of a junk
 * Expect, so most requests get past the HTTP layer into the routes).
 */
export const portkeyHeaders = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constant("mock") },
      { weight: 1, arbitrary: HEADER_POOL["x-portkey-provider"] },
    ),
    fc.uniqueArray(fc.constantFrom(...POOL_NAMES.filter((n) => n !== "x-portkey-provider" && n !== "expect")), {
      maxLength: 3,
    }),
    fc.oneof({ weight: 19, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: HEADER_POOL.expect }),
  )
  .chain(([provider, names, expect]) =>
    fc.tuple(...names.map((name) => HEADER_POOL[name] as fc.Arbitrary<string>)).map((values) => {
      const headers: Record<string, string> = { "x-portkey-provider": provider };
      names.forEach((name, i) => {
        headers[name] = values[i] ?? "";
      });
      if (expect !== undefined) headers.expect = expect;
      return headers;
    }),
  );
