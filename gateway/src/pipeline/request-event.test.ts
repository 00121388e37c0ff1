import { describe, expect, it } from "vitest";
import { isoOf } from "./request-event.ts";

describe("isoOf (the event's occurred_at)", () => {
  it("writes what toISOString writes, across minutes, years and the edges of its fast range", () => {
    const edges = [
      0,
      59_999,
      60_000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2026, 11, 7, 21, 0, 0, 0),
      Date.UTC(2026, 11, 7, 21, 0, 9, 9),
      Date.UTC(2026, 11, 7, 21, 0, 10, 10),
      Date.UTC(2026, 11, 7, 21, 0, 59, 100),
      253_402_300_799_999,
      253_402_300_800_000,
      -1,
      -62_198_755_200_000,
      8.64e15,
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const around = Date.UTC(2026, 11, 7);
    const times = [
      ...edges,
      ...Array.from({ length: 5_000 }, () => around + Math.floor(random() * 86_400_000)),
      ...Array.from({ length: 5_000 }, () => Math.floor(random() * 253_402_300_800_000)),
    ];
    for (const ms of times) expect(isoOf(new Date(ms)), String(ms)).toBe(new Date(ms).toISOString());
  });

  it("throws on an invalid date, as toISOString does", () => {
    expect(() => isoOf(new Date(Number.NaN))).toThrow(RangeError);
  });
});
