import { describe, expect, it } from "vitest";
import { encodeEvent } from "./codec.ts";
import { RequestEvent } from "./request-event.ts";
import { acceptsRequestEvent } from "./request-event-fast-path.ts";
import { newEventId } from "./uuid.ts";

const valid = (): Record<string, unknown> => ({
  event_id: newEventId(),
  schema_version: 1,
  occurred_at: "2026-12-07T01:02:03.456Z",
  gateway_instance: "host-1",
  tenant_id: "default",
  api_key_id: null,
  virtual_key_id: "vk_1",
  config_id: null,
  trace_id: "trace-1",
  otel_trace_id: "0af7651916cd43dd8448eb211c80319c",
  otel_span_id: null,
  endpoint: "chat.completions",
  stream: false,
  model_requested: "gpt-4o-mini",
  model_used: "gpt-4o-mini-2024-07-18",
  provider: "openai",
  target_path: "config.targets[0]",
  metadata: { team: "a" },
  user: null,
  status_code: 200,
  error_type: null,
  error_message: null,
  latency_ms: 1.5,
  upstream_latency_ms: 1.2,
  ttft_ms: null,
  gateway_overhead_ms: 0.3,
  usage: {
    input_tokens: 10,
    output_tokens: 5,
    cache_read_tokens: 4,
    cache_write_tokens: 6,
    reasoning_tokens: 5,
    estimated: false,
  },
  cost_nano_usd: 12,
  cost_breakdown: { input: 1, cached_input: 2, cache_write: 3, output: 4, reasoning: 2 },
  pricing_source: "genai-prices",
  cache_status: "MISS",
  retry_count: 0,
  attempts: [
    { provider: "openai", model: "m", status_code: 200, latency_ms: 1, error_type: null, target_path: "config" },
  ],
  guardrails: [{ hook_id: "h", check_id: "c", verdict: true, deny: false, latency_ms: 0, explanation: null }],
  guardrail_hooks: [
    {
      hook_id: "h",
      hook_type: "before_request",
      verdict: true,
      deny: false,
      transformed: false,
      async: false,
      latency_ms: 0.2,
    },
  ],
  cache_key: "k1",
  cost_saved_nano_usd: 0,
  prompt_id: "pp-1",
  prompt_version: 3,
  prompt_label: "production",
  limit_checks: [{ limit_id: "vk_1.usage", kind: "budget", metric: "cost", allowed: true }],
  bodies: { request: "{}", response: "{}", truncated: false },
});

class NotPlain {}
const longText = (n: number) => "x".repeat(n);
/** Values that break some field somewhere, plus a few that zod accepts (the fast check must agree on each). */
const candidates: unknown[] = [
  undefined,
  null,
  "",
  "x",
  0,
  -0,
  -1,
  1.5,
  99,
  100,
  599,
  600,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  [],
  {},
  new NotPlain(),
  longText(257),
  longText(1024),
  longText(1025),
  "0af7651916cd43dd8448eb211c80319C",
  "b7ad6b7169203331",
  "2026-12-07T01:02:03Z",
  "2026-12-07T01:02:03+01:00",
  "2026-02-30T01:02:03Z",
  "0190d6c1-5b2a-7c3d-8e4f-0123456789ab",
  "0190d6c1-5b2a-4c3d-8e4f-0123456789ab",
  "MISS",
  "override",
  "nope",
  { team: 1 },
  [{ provider: "p" }],
];

/** The rule: true ⇒ zod accepts it unchanged; never true where zod refuses. */
function expectAgreement(event: Record<string, unknown>): void {
  const parsed = RequestEvent.safeParse(event);
  const fast = acceptsRequestEvent(event);
  if (fast) {
    expect(parsed.success).toBe(true);
    // Same JSON as the schema's output (key order aside): what a consumer decodes is identical.
    expect(JSON.parse(JSON.stringify(event))).toEqual(JSON.parse(JSON.stringify(parsed.data)));
  }
}

describe("acceptsRequestEvent (the encoder's fast path)", () => {
  it("accepts a valid event and encodes it exactly as the schema's output", () => {
    const event = valid();
    expect(acceptsRequestEvent(event)).toBe(true);
    const viaZod = Buffer.from(JSON.stringify(RequestEvent.parse(event)), "utf8");
    expect(encodeEvent(RequestEvent, event as RequestEvent, acceptsRequestEvent).equals(viaZod)).toBe(true);
  });

  it("agrees with the schema for every field set to every candidate value", () => {
    let refused = 0;
    for (const key of Object.keys(valid())) {
      for (const value of candidates) {
        const event = { ...valid(), [key]: value };
        expectAgreement(event);
        // Where zod accepts, the fast path should too for plain values (else it only costs time).
        // (undefined on a field with a default is something zod changes: it fills the default.)
        const zodChanges = value instanceof NotPlain || value === undefined;
        if (!acceptsRequestEvent(event) && RequestEvent.safeParse(event).success && !zodChanges) {
          refused += 1;
        }
      }
    }
    expect(refused).toBe(0);
  });

  it("agrees on nested objects: usage, cost breakdown, attempts, guardrails, metadata", () => {
    const nested = ["usage", "cost_breakdown", "bodies"] as const;
    for (const outer of nested) {
      for (const key of Object.keys(valid()[outer] as object)) {
        for (const value of candidates) {
          const event = valid();
          event[outer] = { ...(event[outer] as object), [key]: value };
          expectAgreement(event);
        }
      }
    }
    for (const list of ["attempts", "guardrails", "guardrail_hooks", "limit_checks"] as const) {
      for (const key of Object.keys((valid()[list] as object[])[0]!)) {
        for (const value of candidates) {
          const event = valid();
          event[list] = [{ ...(event[list] as object[])[0], [key]: value }];
          expectAgreement(event);
        }
      }
    }
  });

  it("fills the fields added after schema_version 1 shipped when an older event lacks them", () => {
    const old = valid();
    for (const key of ["guardrail_hooks", "cache_key", "cost_saved_nano_usd", "prompt_id", "prompt_version"]) {
      delete old[key];
    }
    for (const key of ["prompt_label", "limit_checks", "bodies"]) delete old[key];
    expect(acceptsRequestEvent(old)).toBe(false);
    const parsed = RequestEvent.parse(old);
    expect(parsed).toMatchObject({ guardrail_hooks: [], cache_key: null, cost_saved_nano_usd: 0, bodies: null });
    expect(parsed).toMatchObject({ prompt_id: null, prompt_version: null, prompt_label: null, limit_checks: [] });
  });

  it("leaves to zod what zod would change or refuse: unknown keys, missing keys, refinements, odd shapes", () => {
    const cases: Array<Record<string, unknown>> = [
      { ...valid(), extra: 1 },
      { ...valid(), usage: { ...(valid().usage as object), extra: 1 } },
      (() => {
        const e = valid();
        delete e.user;
        return e;
      })(),
      { ...valid(), usage: { ...(valid().usage as object), cache_read_tokens: 8 } },
      { ...valid(), usage: { ...(valid().usage as object), reasoning_tokens: 6 } },
      { ...valid(), attempts: new Array(2) },
      { ...valid(), metadata: Object.create(null) },
      Object.assign(Object.create({ inherited: true }), valid()),
    ];
    for (const event of cases) {
      expect(acceptsRequestEvent(event)).toBe(false);
      expectAgreement(event);
    }
    // Stripping still happens: the slow path drops the unknown key.
    const encoded = encodeEvent(RequestEvent, { ...valid(), extra: 1 } as unknown as RequestEvent, acceptsRequestEvent);
    expect(JSON.parse(encoded.toString("utf8"))).not.toHaveProperty("extra");
  });
});
