import { describe, expect, it } from "vitest";
import { ChatCompletionRequest } from "./chat.ts";
import { acceptsChatRequest } from "./chat-fast-path.ts";

/** Mostly a valid value, sometimes one of the odd ones: the fast path must be exercised, not only refused. */
const mostly = <T>(r: () => number, valid: T, odd: readonly unknown[]): unknown => (r() < 0.85 ? valid : pick(r, odd));

/** A small deterministic PRNG, so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;

function shuffled<T>(r: () => number, items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const VALUES: unknown[] = [
  "",
  "gpt-4o-mini",
  "x".repeat(300),
  0,
  1.5,
  -2,
  null,
  true,
  false,
  [],
  {},
  [1],
  Number.POSITIVE_INFINITY,
];

function message(r: () => number): unknown {
  const fields: [string, unknown][] = [
    ["role", mostly(r, pick(r, ["user", "assistant", "system", "tool"]), ["nobody", 3])],
    [
      "content",
      pick(r, [
        "hi",
        null,
        [],
        [{ type: "text", text: "a" }],
        [{ text: "a", type: "text" }],
        [{ type: 1 }],
        [null],
        5,
        undefined,
      ]),
    ],
    ["name", pick(r, ["a", 1])],
    ["tool_call_id", "t1"],
  ];
  const kept = fields.filter(([k, v]) => v !== undefined && (k === "role" || r() < 0.6));
  return Object.fromEntries(r() < 0.8 ? kept : shuffled(r, kept));
}

function request(r: () => number): string {
  const fields: [string, unknown][] = [
    ["model", mostly(r, "gpt-4o-mini", ["", "m".repeat(257), 7])],
    ["messages", r() < 0.1 ? [] : Array.from({ length: 1 + Math.floor(r() * 3) }, () => message(r))],
    ["stream", mostly(r, r() < 0.5, ["yes"])],
    ["user", mostly(r, "alice", ["u".repeat(257), 1])],
    ["temperature", mostly(r, 0.7, VALUES)],
    ["top_p", mostly(r, null, VALUES)],
    ["presence_penalty", pick(r, VALUES)],
    ["frequency_penalty", pick(r, VALUES)],
    ["max_tokens", pick(r, [16, 0, 1.5])],
    ["tools", [{ type: "function", function: { name: "f", parameters: { type: "object" } } }]],
    ["metadata", { a: "b" }],
  ];
  const kept = fields.filter(([k]) => (k === "model" || k === "messages" ? r() < 0.95 : r() < 0.3));
  const ordered = r() < 0.8 ? kept : shuffled(r, kept);
  // Through JSON text, as fastify hands bodies over (1e400 parses as Infinity there too).
  const json = (v: unknown) => (v === Number.POSITIVE_INFINITY ? "1e400" : JSON.stringify(v));
  return `{${ordered.map(([k, v]) => `${JSON.stringify(k)}:${json(v)}`).join(",")}}`;
}

describe("acceptsChatRequest (the chat schema's fast path)", () => {
  it("takes the common request as it is", () => {
    const body = JSON.parse('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}]}');
    expect(acceptsChatRequest(body)).toBe(true);
    expect(JSON.stringify(ChatCompletionRequest.parse(body))).toBe(JSON.stringify(body));
  });

  it("never accepts what zod refuses or would change, over 20,000 random requests", () => {
    const r = rng(9);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = request(r);
      const value = JSON.parse(text);
      if (!acceptsChatRequest(value)) continue;
      accepted++;
      const parsed = ChatCompletionRequest.safeParse(JSON.parse(text));
      expect(parsed.success, text).toBe(true);
      expect(JSON.stringify(parsed.data), text).toBe(text);
    }
    // The generator must exercise the fast path, not only the refusals.
    expect(accepted).toBeGreaterThan(500);
  });

  it("leaves fields it does not check, and orders zod would change, to zod", () => {
    const refused = [
      '{"messages":[{"role":"user","content":"a"}],"model":"m"}',
      '{"model":"m","messages":[{"content":"a","role":"user"}]}',
      '{"model":"m","messages":[{"role":"user","name":"n","content":"a"}]}',
      '{"model":"m","messages":[{"role":"user","content":[{"text":"a","type":"text"}]}]}',
      '{"model":"m","messages":[{"role":"user","content":"a"}],"tools":[]}',
      '{"model":"m","messages":[{"role":"user","content":"a"}],"temperature":1e400}',
      '{"model":"m","messages":[]}',
      '{"model":"m"}',
      "[]",
    ];
    for (const text of refused) expect(acceptsChatRequest(JSON.parse(text)), text).toBe(false);
  });
});
