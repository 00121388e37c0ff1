import fc from "fast-check";
import type { ServiceName } from "./support.ts";

/**
 * Generators of hostile HTTP requests for the fuzz test. Every request is complete and correctly
 * framed (Content-Length matches) unless it is deliberately broken at the HTTP level, so each one must
 * get an answer. No generator names a real provider: a request that is served goes to the in-process
 * mock provider, never to the network.
 */
export interface HostileRequest {
  service: ServiceName;
  kind: string;
  /** The request exactly as written on the socket. */
  raw: string;
  /** The path, for reporting and for the one place another shape is allowed (/v1/messages). */
  path: string;
  method: string;
}

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FOO", "get"];
const GATEWAY_PATHS = [
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/embeddings",
  "/v1/messages",
  "/v1/models",
  "/v1/feedback",
  "/v1/admin/tenants",
  "/health",
  "/metrics",
];
const ANALYTICS_PATHS = ["/v1/analytics/costs", "/v1/analytics/timeseries", "/v1/traces/abc", "/health", "/metrics"];
const PERCENT_GARBAGE = [
  "%",
  "%z",
  "%zz",
  "%ff",
  "%00",
  "%E0%A4%A",
  "%C0%AF",
  "..",
  "//",
  "%2e%2e",
  "?",
  "#",
  ";",
  "%%%",
];

/** Strings that bite: control characters, unicode, quotes, bracket runs, very long runs (bounded). */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "null", "[", "{", '"', "\\", "\u0000", "\ud800", "💥", "NaN", "-1", "1e999", "__proto__"),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => "x".repeat(n)),
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
const junkChatBody = fc
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
const junkMessagesBody = fc
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
const malformedJsonBody = fc.oneof(
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
  fc.integer({ min: 1, max: 300_000 }).map((n) => `{"model":"${"m".repeat(n)}`),
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

const REAL_PROVIDERS = new Set([
  "openai",
  "anthropic",
  "google",
  "cohere",
  "bedrock",
  "azure-openai",
  "groq",
  "mistral",
  "together",
  "ollama",
  "vllm",
  "deepseek",
  "fireworks",
  "perplexity",
  "xai",
  "openrouter",
]);

const HEADER_POOL = {
  "x-portkey-provider": fc.oneof(
    fc.constant("mock"),
    fc.string({ maxLength: 70 }).filter((s) => !REAL_PROVIDERS.has(s.trim().toLowerCase())),
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
const portkeyHeaders = fc
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

/** Header values Node's parser takes (no CR/LF/NUL); the rest are exercised by the raw-HTTP generator. */
function headerSafe(value: string): string {
  return value.replace(/[\r\n\0]/g, " ");
}

function frame(method: string, path: string, headers: Record<string, string>, body: string | null): string {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: localhost", "Connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${headerSafe(value)}`);
  if (body !== null) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join("\r\n")}\r\n\r\n${body ?? ""}`;
}

/** Hostile requests to the gateway's LLM endpoints: junk bodies and junk x-portkey-* headers. */
const gatewayBodyRequest = fc
  .tuple(
    fc.constantFrom(
      "/v1/chat/completions",
      "/v1/chat/completions",
      "/v1/chat/completions",
      "/v1/completions",
      "/v1/embeddings",
      "/v1/messages",
      "/v1/feedback",
    ),
    fc.oneof(
      { weight: 4, arbitrary: junkChatBody },
      { weight: 2, arbitrary: junkMessagesBody },
      { weight: 2, arbitrary: malformedJsonBody },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null") },
    ),
    portkeyHeaders,
  )
  .map(
    ([path, body, headers]): HostileRequest => ({
      service: "gateway",
      kind: "gateway-body",
      method: "POST",
      path,
      raw: frame("POST", path, { "content-type": "application/json", ...headers }, body),
    }),
  );

const pathSegment = fc.oneof(
  fc.constantFrom(...PERCENT_GARBAGE),
  fc.stringMatching(/^[A-Za-z0-9._~-]{0,20}$/),
  fc.integer({ min: 100, max: 3_000 }).map((n) => "s".repeat(n)),
  fc.string({ maxLength: 10 }).map((s) => encodeURIComponent(s)),
);

const randomPath = (known: string[]) =>
  fc.oneof(
    fc.constantFrom(...known),
    fc
      .tuple(fc.constantFrom(...known), fc.array(pathSegment, { maxLength: 3 }))
      .map(([p, segs]) => [p, ...segs].join("/")),
    fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((segs) => `/${segs.join("/")}`),
    fc
      .tuple(fc.constantFrom(...known), fc.array(fc.tuple(pathSegment, pathSegment), { maxLength: 4 }))
      .map(([p, qs]) => `${p}?${qs.map(([k, v]) => `${k}=${v}`).join("&")}`),
  );

/** Random methods on random paths of either service, with or without a (junk) body. */
const methodPathRequest = fc
  .tuple(
    fc.constantFrom<ServiceName>("gateway", "analytics"),
    fc.constantFrom(...METHODS),
    fc.boolean(),
    fc.option(fc.oneof(junkChatBody, malformedJsonBody), { nil: null }),
    fc.constantFrom("application/json", "text/plain", "application/xml", ""),
    fc.constantFrom("junk", null, null, null, null, null, null, null, null, null),
  )
  .chain(([service, method, _, body, contentType, expect]) =>
    randomPath(service === "gateway" ? GATEWAY_PATHS : ANALYTICS_PATHS).map((path): HostileRequest => {
      const headers: Record<string, string> = {};
      if (contentType !== "") headers["content-type"] = contentType;
      if (expect) headers.expect = expect;
      return { service, kind: "method-path", method, path, raw: frame(method, path, headers, body) };
    }),
  );

const instantJunk = fc.oneof(
  fc.integer({ min: 0, max: 9999 }).map((y) => `${String(y).padStart(4, "0")}-01-01T00:00:00Z`),
  fc.constantFrom(
    "999999999999999",
    "0",
    "-1",
    "1e20",
    "NaN",
    "",
    "yesterday",
    "2025-13-45T99:99:99Z",
    "+275760-09-13T00:00:00Z",
    "2025-02-30T00:00:00Z",
    "2025-06-01T00:00:00+99:00",
    "9".repeat(16),
  ),
  fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }).map(String),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
);

/** Wrong query parameters (and repeated ones) for every analytics route. */
const analyticsQueryRequest = fc
  .tuple(
    fc.constantFrom("/v1/analytics/costs", "/v1/analytics/timeseries", "/v1/traces/trace-1"),
    fc.array(
      fc.tuple(
        fc.constantFrom("from", "to", "group_by", "interval", "tenant_id", "from", "to", "junk"),
        fc.oneof(
          instantJunk,
          fc.constantFrom("user", "model", "provider", "tenant", "team", "hour", "day", "week", "%zz", "a,b,,c"),
          fc.integer({ min: 1, max: 2_000 }).map((n) => Array.from({ length: n }, (_, i) => `t${i}`).join(",")),
        ),
      ),
      { maxLength: 5 },
    ),
    fc.constantFrom<Record<string, string>>({}, { authorization: "Bearer sk-nope" }, { "x-portkey-api-key": "" }),
  )
  .map(([path, params, headers]): HostileRequest => {
    const url = params.length === 0 ? path : `${path}?${params.map(([k, v]) => `${k}=${v}`).join("&")}`;
    return {
      service: "analytics",
      kind: "analytics-query",
      method: "GET",
      path: url,
      raw: frame("GET", url, headers, null),
    };
  });

/** Broken at the HTTP level: bad header bytes, broken chunking, duplicate framing headers, junk request lines. */
const rawHttpRequest = fc
  .tuple(
    fc.constantFrom<ServiceName>("gateway", "analytics"),
    fc.constantFrom(
      "GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nx-a: a\u0001b\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: x\r\n folded: continuation\r\n\r\n",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
      "GET /health\r\nHost: x\r\n\r\n",
      "GARBAGE\r\n\r\n",
      "GET  /health HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
      "GET /health HTTP/1.0\r\n\r\n",
    ),
    fc.string({ unit: "binary", maxLength: 30 }),
  )
  .map(([service, template, noise]): HostileRequest => {
    // Half the time, noise replaces a header value (bytes Node may or may not accept).
    const raw =
      noise.length % 2 === 0
        ? template
        : template.replace("Host: x", `Host: x\r\nx-noise: ${noise.replace(/[\r\n]/g, "")}`);
    return { service, kind: "raw-http", method: "?", path: template.split(" ")[1] ?? "?", raw };
  });

export const hostileRequest: fc.Arbitrary<HostileRequest> = fc.oneof(
  { weight: 5, arbitrary: gatewayBodyRequest },
  { weight: 2, arbitrary: methodPathRequest },
  { weight: 2, arbitrary: analyticsQueryRequest },
  { weight: 1, arbitrary: rawHttpRequest },
);
