import { Attr, type Meter } from "@switchyard/platform";
import type { HookStage } from "./types.ts";

/**
 * Metrics by guardrail id and verdict: `switchyard.gateway.guardrail.hooks` (count of hook runs,
 * verdict pass | fail | deny) and `switchyard.gateway.guardrail.duration` (s). Hook ids come from
 * clients' configs, so the label is bounded: the first MAX_IDS ids seen keep their own series,
 * later newcomers are counted as `_OTHER` (no tenant label, as with the request metrics).
 */
export interface GuardrailMetrics {
  hook(id: string, stage: HookStage, verdict: "pass" | "fail" | "deny", seconds: number): void;
}

const MAX_IDS = 200;

export function createGuardrailMetrics(meter: Meter): GuardrailMetrics {
  const hooks = meter.createCounter("switchyard.gateway.guardrail.hooks", {
    description: "Guardrail hooks run, by guardrail id, stage (input/output) and verdict (pass, fail, deny)",
  });
  const duration = meter.createHistogram("switchyard.gateway.guardrail.duration", {
    description: "Time a guardrail hook took (its checks together)",
    unit: "s",
  });
  const ids = new Set<string>();
  const attributes = new Map<string, Record<string, string>>();
  return {
    hook(id, stage, verdict, seconds) {
      if (!ids.has(id) && ids.size < MAX_IDS) ids.add(id);
      const label = ids.has(id) ? id : "_OTHER";
      const key = `${label}\u0000${stage}\u0000${verdict}`;
      let attrs = attributes.get(key);
      if (attrs === undefined) {
        attrs = {
          [Attr.guardrailId]: label,
          [Attr.guardrailStage]: stage === "before" ? "input" : "output",
          [Attr.guardrailVerdict]: verdict,
        };
        attributes.set(key, attrs);
      }
      hooks.add(1, attrs);
      duration.record(seconds, attrs);
    },
  };
}
