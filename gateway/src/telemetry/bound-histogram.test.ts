import { disabledTelemetry } from "@switchyard/platform";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { describe, expect, it } from "vitest";
import { BoundHistogram } from "./bound-histogram.ts";
import { SeriesCache } from "./series-cache.ts";

const boundaries = [1, 4, 16, 64];

describe("BoundHistogram", () => {
  it("binds to the SDK in use (an SDK upgrade that moves its internals fails here, not silently slower)", () => {
    const { telemetry } = inMemoryTelemetry({ tracing: false });
    const meter = telemetry.meter("test");
    expect(new BoundHistogram(meter.createHistogram("h")).fast).toBe(true);
  });

  it("exports exactly what the SDK's own record() does, across collections", async () => {
    const { telemetry, metrics } = inMemoryTelemetry({ tracing: false });
    const meter = telemetry.meter("test");
    const advice = { explicitBucketBoundaries: boundaries };
    const plain = meter.createHistogram("plain", { advice });
    const bound = new BoundHistogram(meter.createHistogram("bound", { advice }));
    const labelSets = [{ a: "x" }, { a: "y", b: 2 }, {}];
    const series = labelSets.map((attributes) => bound.series(attributes));
    const snapshots: unknown[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 50; i += 1) {
        const value = [0, 0.5, 3, 17, 1e6, -1, Number.NaN][(i + round) % 7] as number;
        const k = (i * 7 + round) % labelSets.length;
        plain.record(value, labelSets[k]);
        bound.record(value, series[k]!);
      }
      const { scopeMetrics } = await metrics();
      const byName = new Map(scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
      const points = (name: string) =>
        byName.get(name)?.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }));
      expect(points("bound")).toEqual(points("plain"));
      snapshots.push(points("bound"));
    }
    expect(snapshots[2]).not.toEqual(snapshots[0]); // later rounds did add to the bound series
  });

  it("takes the public path on a meter that is not the SDK's (telemetry off)", () => {
    const histogram = new BoundHistogram(disabledTelemetry().meter("test").createHistogram("h"));
    expect(histogram.fast).toBe(false);
    expect(() => histogram.record(1, histogram.series({ a: "x" }))).not.toThrow();
  });
});

describe("SeriesCache", () => {
  it("tells an absent label (null) from any value, and refills once full", () => {
    const cache = new SeriesCache<string>(3);
    cache.set(["a", null], "absent");
    cache.set(["a", "null"], "string");
    cache.set(["a", 0], "zero");
    expect(cache.get(["a", null])).toBe("absent");
    expect(cache.get(["a", "null"])).toBe("string");
    expect(cache.get(["a", 0])).toBe("zero");
    expect(cache.get(["a", "0"])).toBeUndefined();
    cache.set(["b", 1], "fourth");
    expect(cache.get(["a", null])).toBeUndefined();
    expect(cache.get(["b", 1])).toBe("fourth");
  });
});
