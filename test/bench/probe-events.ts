import { acceptsRequestEvent, encodeEvent, RequestEvent, Topics } from "@switchyard/events";
import { makeRequestEvent, type PendingRow, packRows, requestRowJson, topicRoute } from "@switchyard/ingest/testing";

/**
 * The ingest probes' synthetic request `i` of `count`: spread over the hour before `now`, five tenants,
 * fifty users, two models, two metadata keys — the same events in every probe, so their figures compare.
 */
export function probeEvent(i: number, count: number, now: number): RequestEvent {
  return makeRequestEvent({
    occurred_at: new Date(now - 3_600_000 + Math.floor((i * 3_600_000) / count)).toISOString(),
    tenant_id: `tenant-${i % 5}`,
    user: `user-${i % 50}`,
    model_requested: i % 3 === 0 ? "gpt-4o" : "gpt-4o-mini",
    metadata: { env: "bench", team: `team-${i % 7}` },
    cost_nano_usd: 1_000 + (i % 997),
  });
}

/**
 * The requests topic's route as the consumer loop has it (decode + row), but with the JSONCompactEachRow line
 * (requestRowJson) the probes insert as FORMAT JSONCompactEachRow; ingest writes RowBinary. Never written through.
 */
export function probeRoute() {
  return topicRoute({
    topic: Topics.requests,
    schema: RequestEvent,
    accepts: acceptsRequestEvent,
    toRow: requestRowJson,
    writer: null as never,
  });
}

/** An encoded event decoded into its row exactly as the consumer loop does it, at offset `offset`. */
export function decodeProbeRow(route: ReturnType<typeof probeRoute>, value: Buffer, offset: number): PendingRow {
  const r = route.decode({
    topic: Topics.requests,
    partition: 0,
    offset: String(offset),
    key: null,
    value,
    headers: {},
    timestamp: "0",
  } as never);
  if (!r.ok) throw new Error(r.reason);
  return r.row;
}

/** Probe event `i` of `count` (its hour ending at `now`), encoded and decoded into its row. */
export function probeRow(route: ReturnType<typeof probeRoute>, i: number, count: number, now: number): PendingRow {
  return decodeProbeRow(route, encodeEvent(RequestEvent, probeEvent(i, count, now)), i);
}

/** Probe events 0…count−1 (their hour ending at `now`) mapped straight to their rows, no log or JSON in between. */
export function probeRows(count: number, now: number): PendingRow[] {
  return Array.from({ length: count }, (_, i) => {
    const r = requestRowJson(probeEvent(i, count, now), { topic: Topics.requests, partition: 0, offset: String(i) });
    if (!r.ok) throw new Error(r.reason);
    return r.row;
  });
}

/**
 * Insert chunks as a backlog makes them: each call gives `batch` probe rows (encoded and decoded as ingest
 * does) packed into one buffer, in the hour after the last chunk's (from 60 days ago), so each is one part.
 */
export function probeChunks(batch: number): () => PendingRow[] {
  const route = probeRoute();
  let hour = Date.now() - 60 * 86_400_000;
  return () => {
    hour += 3_600_000;
    const rows: PendingRow[] = [];
    for (let j = 0; j < batch; j++) rows.push(probeRow(route, j, batch, hour));
    packRows(rows);
    return rows;
  };
}
