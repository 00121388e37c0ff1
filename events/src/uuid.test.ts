import { describe, expect, it } from "vitest";
import { z } from "zod";
import { newEventId } from "./uuid.ts";

describe("newEventId", () => {
  it("makes valid, unique UUIDv7s that sort by time", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => newEventId(1_700_000_000_000 + i));
    for (const id of ids) expect(z.uuid({ version: "v7" }).safeParse(id).success).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(newEventId(0x0123456789ab).slice(0, 13)).toBe("01234567-89ab");
  });

  it("puts the 48-bit timestamp first in hex, then version 7, the RFC variant and random bits", () => {
    const stamps = [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, 2 ** 48 - 1, Date.now()];
    for (const now of stamps) {
      const id = newEventId(now);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(id.slice(0, 8) + id.slice(9, 13)).toBe(now.toString(16).padStart(12, "0"));
    }
    // The random part is random: across many ids of one millisecond every digit shows up everywhere.
    const ids = Array.from({ length: 4000 }, () => newEventId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (const at of [15, 16, 17, 20, 21, 22, 24, 35]) {
      expect(new Set(ids.map((id) => id[at])).size).toBe(16);
    }
    expect(new Set(ids.map((id) => id[19]))).toEqual(new Set(["8", "9", "a", "b"]));
  });
});
