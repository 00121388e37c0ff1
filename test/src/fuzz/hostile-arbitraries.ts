import fc from "fast-check";
import { junkChatBody, junkMessagesBody, malformedJsonBody, portkeyHeaders } from "./hostile-values.ts";
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
      // The mock provider, so a body that happens to be valid is served in-process, never over the network.
      const headers: Record<string, string> = service === "gateway" ? { "x-portkey-provider": "mock" } : {};
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
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "GET http://evil.example/health HTTP/1.1\r\nHost: x\r\n\r\n",
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
