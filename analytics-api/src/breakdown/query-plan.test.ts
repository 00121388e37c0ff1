import { describe, expect, it } from "vitest";
import { planQuery } from "./query-plan.ts";

const NOW = new Date("2025-06-03T00:00:00.000Z");

describe("planQuery", () => {
  it.each(["api_key", "virtual_key", "config", "prompt", "prompt_version"] as const)(
    "plans %s breakdowns over whole days on the rows (migration 006 dropped their rollups)",
    (dimension) => {
      const plan = planQuery({
        dimensions: [dimension],
        usesMetadata: false,
        from: new Date("2025-06-01T00:00:00Z"),
        to: new Date("2025-06-08T00:00:00Z"),
        step: "day",
        series: false,
        now: NOW,
      });
      expect(plan.source).toBe("rows");
    },
  );
});
