import { describe, expect, it } from "vitest";
import { budgetWindow, rateWindow } from "./periods.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe("limit windows", () => {
  it("rate windows are fixed and aligned to the epoch", () => {
    const w = rateWindow("rpm", at("2026-03-04T10:20:30.500Z"));
    expect([iso(w.start), iso(w.end)]).toEqual(["2026-03-04T10:20:00.000Z", "2026-03-04T10:21:00.000Z"]);
    expect(iso(rateWindow("rph", at("2026-03-04T10:20:30Z")).start)).toBe("2026-03-04T10:00:00.000Z");
    expect(iso(rateWindow("rpd", at("2026-03-04T10:20:30Z")).end)).toBe("2026-03-05T00:00:00.000Z");
    expect(iso(rateWindow("rps", at("2026-03-04T10:20:30.999Z")).end)).toBe("2026-03-04T10:20:31.000Z");
  });

  it("budget periods start at 00:00 UTC: daily, weekly from Monday, monthly from the 1st, never", () => {
    const now = at("2026-03-04T10:20:30Z"); // a Wednesday
    const period = (u: Parameters<typeof budgetWindow>[0]) => {
      const w = budgetWindow(u, now, null);
      return [iso(w.start), iso(w.end)];
    };
    const cost = { type: "cost", credit_limit: 1 } as const;
    expect(period({ ...cost, periodic_reset: "daily" })).toEqual([
      "2026-03-04T00:00:00.000Z",
      "2026-03-05T00:00:00.000Z",
    ]);
    expect(period({ ...cost, periodic_reset: "weekly" })).toEqual([
      "2026-03-02T00:00:00.000Z",
      "2026-03-09T00:00:00.000Z",
    ]);
    expect(period({ ...cost, periodic_reset: "monthly" })).toEqual([
      "2026-03-01T00:00:00.000Z",
      "2026-04-01T00:00:00.000Z",
    ]);
    expect(period({ ...cost, periodic_reset: null })).toEqual(["1970-01-01T00:00:00.000Z", null]);
    expect(period({ ...cost, periodic_reset_days: 1 })).toEqual([
      "2026-03-04T00:00:00.000Z",
      "2026-03-05T00:00:00.000Z",
    ]);
    // December rolls into the next year; a Monday is its own week's start.
    const dec = budgetWindow({ ...cost, periodic_reset: "monthly" }, at("2026-12-31T23:59:59Z"), null);
    expect(iso(dec.end)).toBe("2027-01-01T00:00:00.000Z");
    const monday = budgetWindow({ ...cost, periodic_reset: "weekly" }, at("2026-03-09T00:00:00Z"), null);
    expect(iso(monday.start)).toBe("2026-03-09T00:00:00.000Z");
  });

  it("a usage reset inside the period moves its start, not its end", () => {
    const limits = { type: "requests", credit_limit: 5, periodic_reset: "daily" } as const;
    const w = budgetWindow(limits, at("2026-03-04T10:00:00Z"), at("2026-03-04T09:00:00Z"));
    expect([iso(w.start), iso(w.end)]).toEqual(["2026-03-04T09:00:00.000Z", "2026-03-05T00:00:00.000Z"]);
    // A reset from an earlier period no longer matters.
    expect(iso(budgetWindow(limits, at("2026-03-05T10:00:00Z"), at("2026-03-04T09:00:00Z")).start)).toBe(
      "2026-03-05T00:00:00.000Z",
    );
  });
});
