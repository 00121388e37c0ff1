import { type RequestEvent, Topics } from "@switchyard/events";
import { describe, expect, it } from "vitest";
import type { PendingRow } from "../rows/pending-row.ts";
import { requestRow } from "../rows/request-row-binary.ts";
import { makeRequestEvent, storeRequestEvents } from "../testing/index.ts";
import { migratedStore } from "../testing/migrated-store.ts";
import { storedEventIds } from "./exactly-once-insert.ts";

function rowOf(event: RequestEvent, offset: number): PendingRow {
  const decoded = requestRow(event, { topic: Topics.requests, partition: 0, offset: String(offset) });
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.row;
}

/** Events one second apart from `start` (ISO), for `tenant`. */
function eventsFrom(start: string, count: number, tenant: string): RequestEvent[] {
  const t0 = Date.parse(start);
  return Array.from({ length: count }, (_, i) =>
    makeRequestEvent({ tenant_id: tenant, occurred_at: new Date(t0 + i * 1000).toISOString() }),
  );
}

describe("storedEventIds (the dedup lookup)", () => {
  const store = migratedStore();

  it("finds exactly the chunk's stored events, from the range alone or, past the limit, by the chunk's ids", async () => {
    // Stored: 20 of acme's events in the chunk's range, 30 more of acme's in the same range that the chunk
    // does not hold, and other tenants' events in the range and acme's just outside it.
    const chunkEvents = eventsFrom("2025-06-01T10:00:00.000Z", 40, "acme");
    const storedOfChunk = chunkEvents.filter((_, i) => i % 2 === 0);
    await storeRequestEvents(store.client, [
      ...storedOfChunk,
      ...eventsFrom("2025-06-01T10:00:00.500Z", 30, "acme"),
      ...eventsFrom("2025-06-01T10:00:00.000Z", 10, "globex"),
      ...eventsFrom("2025-06-01T09:59:00.000Z", 5, "acme"),
    ]);
    const chunk = chunkEvents.map(rowOf);
    const expected = storedOfChunk.map((e) => e.event_id.toLowerCase()).sort();
    const duplicatesWith = async (limit?: number) => {
      const stored = await storedEventIds(store.client, "requests", chunk, limit);
      return chunk
        .filter((r) => stored.has(r.eventId))
        .map((r) => r.eventId)
        .sort();
    };
    expect(await duplicatesWith()).toEqual(expected); // 50 stored in range: read whole
    expect(await duplicatesWith(10)).toEqual(expected); // more than 10: by the chunk's ids
    expect(await duplicatesWith(50)).toEqual(expected); // exactly the limit: read whole
    expect(await duplicatesWith(49)).toEqual(expected);
  });

  it("finds nothing for a chunk whose range holds no stored event", async () => {
    const chunk = eventsFrom("2025-07-01T10:00:00.000Z", 5, "acme").map(rowOf);
    expect((await storedEventIds(store.client, "requests", chunk)).size).toBe(0);
    expect((await storedEventIds(store.client, "requests", chunk, 0)).size).toBe(0);
  });
});
