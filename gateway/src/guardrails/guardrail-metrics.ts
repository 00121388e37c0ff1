import { Attr, type Meter } from "@switchyard/platform";
import { TalliedCounter, type Tally } from "../telemetry/tallied-counter.ts";
import type { HookStage } from "./types.ts";

/**
 * Metrics by guardrail id and verdict: `switchyard.gateway.guardrail.hooks` (hook runs, verdict
 * pass | fail | deny) and `switchyard.gateway.guardrail.duration` (s, summed; with the count it gives
 * the mean). Tallied counters (../telemetry/tallied-counter.ts): a run costs two additions, not the
 * SDK's attribute hashing. Hook ids come from clients' configs, so the label is bounded: the first
 * MAX_IDS ids keep their own series, later newcomers are counted as `_OTHER` (no tenant label, as
 * with the request metrics).
 */
export interface GuardrailMetrics {
  hook(id: string, stage: HookStage, verdict: "pass" | "fail" | "deny", seconds: number): void;
}

const MAX_IDS = 200;
const VERDICTS = ["pass", "fail", "deny"] as const;

export function createGuardrailMetrics(meter: Meter): GuardrailMetrics {
  const hooks = new TalliedCounter(meter, "switchyard.gateway.guardrail.hooks", {
    unit: "{hook}",
    description: "Guardrail hooks run, by guardrail id, stage (input/output) and verdict (pass, fail, deny)",
  });
  const duration = new TalliedCounter(meter, "switchyard.gateway.guardrail.duration", {
    unit: "s",
    description: "Time guardrail hooks took (their checks together), summed",
  });
  // Per id: the 6 (stage × verdict) series, made on first use; no string keys on the request path.
  type Slots = Array<{ runs: Tally; seconds: Tally } | undefined>;
  const byId = new Map<string, Slots>();
  const other: Slots = [];
  const slotsOf = (id: string): Slots => {
    if (byId.size >= MAX_IDS) return other;
    const slots: Slots = [];
    byId.set(id, slots);
    return slots;
  };
  return {
    hook(id, stage, verdict, seconds) {
      const slots = byId.get(id) ?? slotsOf(id);
      const index = (stage === "before" ? 0 : 3) + VERDICTS.indexOf(verdict);
      let s = slots[index];
      if (s === undefined) {
        const attributes = {
          [Attr.guardrailId]: slots === other ? "_OTHER" : id,
          [Attr.guardrailStage]: stage === "before" ? "input" : "output",
          [Attr.guardrailVerdict]: verdict,
        };
        s = { runs: hooks.tally(attributes), seconds: duration.tally(attributes) };
        slots[index] = s;
      }
      s.runs.value += 1;
      s.seconds.value += seconds;
    },
  };
}
