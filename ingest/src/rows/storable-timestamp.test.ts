import { describe, expect, it } from "vitest";
import { unstorableTimestamp } from "./pending-row.ts";

/** What unstorableTimestamp answered for every form before its canonical-form shortcut: Date.parse decides. */
function byDateParse(iso: string): string | null {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return `occurred_at ${iso} is not a valid instant`;
  if (ms < Date.UTC(1900, 0, 1) || ms > Date.UTC(2300, 0, 1) - 1) {
    return `occurred_at ${iso} is outside 1900-01-01..2299-12-31`;
  }
  return null;
}

describe("unstorableTimestamp", () => {
  it("answers as Date.parse does for canonical instants at and past every field's bounds", () => {
    const years = ["0000", "1899", "1900", "2026", "2299", "2300", "9999", "19a0"];
    const dates = ["01-01", "02-29", "02-30", "02-31", "04-31", "12-31", "12-32", "00-10", "13-01", "12-00", "1a-01"];
    const times = ["00:00:00.000", "23:59:59.999", "24:00:00.000", "23:60:00.000", "23:00:60.000", "12:34:5x.123"];
    for (const year of years) {
      for (const date of dates) {
        for (const time of times) {
          const iso = `${year}-${date}T${time}Z`;
          expect(unstorableTimestamp(iso), iso).toBe(byDateParse(iso));
        }
      }
    }
  });

  it("answers as Date.parse does for other forms", () => {
    for (const iso of ["2026-06-01T10:15:00Z", "2026-06-01T10:15:00.1234Z", "not a date", "", "1899-12-31T23:59:59Z"]) {
      expect(unstorableTimestamp(iso), iso).toBe(byDateParse(iso));
    }
  });
});
