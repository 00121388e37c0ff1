import { describe, expect, it } from "vitest";
import { KeyStore } from "../auth/keys.ts";
import { quietLogger } from "../bus/test-support.ts";
import { decodeControlEvent, encodeControlEvent } from "./control-events.ts";
import { ControlPlaneView } from "./control-plane-view.ts";
import { parseDeclarativeFile } from "./declarative-file.ts";
import type { SavedGuardrailState } from "./guardrail-entities.ts";

/** Saved guardrails as control-plane entities: events round-trip and fold, the declarative file declares them. */
const state: SavedGuardrailState = {
  id: "pg-pii",
  tenant_id: "acme",
  name: "No PII",
  type: "guardrail",
  checks: [{ id: "pii", parameters: { redact: true } }],
  actions: { deny: true, async: false, on_fail: { feedback: { value: -5, weight: 1 } } },
  version: 1,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
};
const envelope = { schema_version: 1 as const, event_id: "e1", occurred_at: "2026-01-01T00:00:00.000Z" };

describe("saved guardrails in the control plane", () => {
  it("round-trip through the control topic and fold per tenant; a deletion removes it", () => {
    const view = new ControlPlaneView({ keys: new KeyStore([], "default"), vault: null, logger: quietLogger });
    const upserted = decodeControlEvent(
      encodeControlEvent({ ...envelope, type: "saved_guardrail.upserted", saved_guardrail: state }),
    );
    expect(upserted.ok).toBe(true);
    if (!upserted.ok) return;
    view.fold([upserted.value]);
    expect(view.savedGuardrail("acme", "pg-pii")).toEqual(state);
    expect(view.savedGuardrail("other", "pg-pii")).toBeUndefined();
    expect(view.savedGuardrails("acme").map((g) => g.state.id)).toEqual(["pg-pii"]);
    view.fold([
      {
        ...envelope,
        event_id: "e2",
        type: "saved_guardrail.deleted",
        tenant_id: "acme",
        saved_guardrail_id: "pg-pii",
        version: 2,
      },
    ]);
    expect(view.savedGuardrail("acme", "pg-pii")).toBeUndefined();
  });

  it("an event with a bad id or an unbounded check list is refused on encode", () => {
    expect(() =>
      encodeControlEvent({ ...envelope, type: "saved_guardrail.upserted", saved_guardrail: { ...state, id: "pii" } }),
    ).toThrow();
    const checks = Array.from({ length: 33 }, () => ({ id: "pii", parameters: {} }));
    expect(() =>
      encodeControlEvent({ ...envelope, type: "saved_guardrail.upserted", saved_guardrail: { ...state, checks } }),
    ).toThrow();
  });

  it("the declarative file declares them, checked by the gateway's validator with the path named", () => {
    const file = `
version: 1
tenants:
  - id: acme
    guardrails:
      - id: pg-short
        name: Short prompts
        checks: [{ id: default.wordCount, parameters: { maxWords: 50 } }]
        actions: { deny: true }
`;
    const ok = parseDeclarativeFile(file, { env: {}, vault: null, virtualKeys: "skip", validateGuardrail: () => [] });
    expect(ok.ok && ok.layer.savedGuardrails.get("acme:pg-short")).toMatchObject({
      name: "Short prompts",
      actions: { deny: true, async: false },
      version: 0,
    });
    const refused = parseDeclarativeFile(file, {
      env: {},
      vault: null,
      virtualKeys: "skip",
      validateGuardrail: () => ["checks[0].parameters.maxWords: too large"],
    });
    expect(refused).toEqual({
      ok: false,
      errors: ["tenants[0].guardrails[0].checks[0].parameters.maxWords: too large"],
    });
  });
});
