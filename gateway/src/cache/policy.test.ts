import { describe, expect, it } from "vitest";
import { attemptPolicy, DEFAULT_MAX_AGE_SECONDS } from "./policy.ts";

describe("an attempt's cache policy", () => {
  const leaf = { mode: "simple" as const, maxAgeSeconds: null, similarityThreshold: null };

  it("defaults: 7 days, the gateway's threshold, no refresh, no namespace", () => {
    expect(attemptPolicy(leaf, {}, 0.9)).toEqual({
      mode: "simple",
      maxAgeSeconds: DEFAULT_MAX_AGE_SECONDS,
      similarityThreshold: 0.9,
      forceRefresh: false,
      namespace: null,
    });
    expect(DEFAULT_MAX_AGE_SECONDS).toBe(7 * 24 * 3600);
  });

  it("max_age is seconds (a fraction rounds up); the config's threshold wins", () => {
    const p = attemptPolicy({ mode: "semantic", maxAgeSeconds: 60.5, similarityThreshold: 0.8 }, {}, 0.9);
    expect([p.maxAgeSeconds, p.similarityThreshold]).toEqual([61, 0.8]);
  });

  it("force refresh on the value true only (the SDK sends false too); the namespace is trimmed, empty is none", () => {
    const refresh = (value: string) =>
      attemptPolicy(leaf, { "x-portkey-cache-force-refresh": value }, 0.9).forceRefresh;
    expect([refresh("true"), refresh(" TRUE "), refresh("false"), refresh(""), refresh("1")]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(attemptPolicy(leaf, { "x-portkey-cache-namespace": " team-a " }, 0.9).namespace).toBe("team-a");
    expect(attemptPolicy(leaf, { "x-portkey-cache-namespace": "  " }, 0.9).namespace).toBeNull();
  });
});
