import { describe, expect, it } from "vitest";
import { type PreparedHook, prepareLeafHooks } from "./hooks.ts";
import { runHooks } from "./run-hooks.ts";
import type { CheckContext, CheckServices } from "./types.ts";

/** Hooks as compiled for a config: what is fixed per config, and `not` on checks that only detect. */
const services: CheckServices = {
  checkUrl: () => Promise.reject(new Error("no network in this test")),
  fetch: () => Promise.reject(new Error("no network in this test")),
};
const context: CheckContext = {
  responseStatus: null,
  model: "gpt-4o",
  provider: "openai",
  requestType: "chatComplete",
  isStreaming: false,
  metadata: {},
  headers: {},
  signal: new AbortController().signal,
};

function inputHooks(...entries: Array<Record<string, unknown>>): PreparedHook[] {
  const hooks = prepareLeafHooks(
    { beforeRequestHooks: null, afterRequestHooks: null, inputGuardrails: entries, outputGuardrails: null } as never,
    services,
  );
  return (hooks?.before ?? []) as PreparedHook[];
}

const body = (content: string) => ({ model: "gpt-4o", messages: [{ role: "user", content }] });

describe("compiled hooks", () => {
  it("knows per config which checks run, whether in order, and whether a hook may rewrite", () => {
    const [detect, redact, mutator] = inputHooks(
      { pii: {}, "default.wordCount": { maxWords: 9, is_enabled: true } },
      { pii: { redact: true }, "default.regexMatch": { rule: "x" } },
      { type: "mutator", "default.contains": { words: ["x"] } },
    );
    expect([detect?.inOrder, detect?.rewrites, detect?.enabled.length]).toEqual([false, false, 2]);
    expect([redact?.inOrder, redact?.rewrites]).toEqual([true, true]);
    expect(mutator?.rewrites).toBe(true);
  });

  it("`not` inverts pii when it only detects, never when it redacts", () => {
    const run = (hooks: PreparedHook[], text: string) => {
      const out = runHooks(hooks, body(text), body(text), context, {});
      if (out instanceof Promise) throw new Error("cheap checks run synchronously");
      return out;
    };
    expect(run(inputHooks({ pii: { not: true } }), "mail a@b.io").failed).toBe(false);
    expect(run(inputHooks({ pii: { not: true } }), "nothing personal").failed).toBe(true);
    const redacted = run(inputHooks({ pii: { redact: true, not: true } }), "mail a@b.io");
    expect(redacted.failed).toBe(false);
    expect(JSON.stringify(redacted.body)).toContain("{{EMAIL_ADDRESS_1}}");
  });
});
