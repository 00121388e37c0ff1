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
});
