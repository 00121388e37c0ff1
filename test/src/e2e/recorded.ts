import { join } from "node:path";
import { Topics } from "@switchyard/events";
import { createClickHouse } from "@switchyard/platform";
import { pollUntil, startTestStack } from "./support.ts";

/**
 * The checking side of the hand-off tests (SIGKILL and SIGTERM): start the stack once more on the
 * same DATA_DIR so the spool reaches the log and ingest consumes it to the end, then read which of
 * a run's trace ids ClickHouse holds, and how many times.
 */

/** Starts the stack in this process, waits until the spool is empty and ingest committed to the end of the log. */
export async function drainStack(dataDir: string, env: Record<string, string>, groupId: string): Promise<number> {
  const stack = await startTestStack({ DATA_DIR: dataDir, ...env });
  try {
    await pollUntil(
      async () => {
        const stats = stack.publisher!.stats();
        if (stats.spooledRecords > 0 || stats.queueDepth > 0) return undefined;
        const [ends, committed] = await Promise.all([
          stack.bus.endOffsets(Topics.requests),
          stack.bus.committedOffsets(groupId, Topics.requests),
        ]);
        return [...ends].every(([p, end]) => BigInt(committed.get(p) ?? "0") >= BigInt(end)) ? true : undefined;
      },
      "spool replayed and ingest committed to the end of the log",
      60_000,
    );
    const deadLetters = await stack.bus.endOffsets(Topics.deadLetters);
    return [...deadLetters.values()].reduce((n, o) => n + Number(o), 0);
  } finally {
    await stack.stop();
  }
}

/** trace id → rows, for the trace ids starting with `${runId}-`, read straight from a stopped stack's chdb directory. */
export async function storedTraceCounts(dataDir: string, runId: string): Promise<Map<string, number>> {
  const store = await createClickHouse({ kind: "embedded", path: join(dataDir, "clickhouse") });
  try {
    const rows = await (
      await store.client.query({
        query:
          "SELECT trace_id, count() AS n FROM requests WHERE startsWith(trace_id, {prefix:String}) GROUP BY trace_id",
        query_params: { prefix: `${runId}-` },
        format: "JSONEachRow",
      })
    ).json<{ trace_id: string; n: string | number }>();
    return new Map(rows.map((r) => [r.trace_id, Number(r.n)]));
  } finally {
    await store.close();
  }
}

/** Which answered ids are missing or stored more than once, and how many unanswered ones were recorded anyway. */
export function tally<T>(answered: Map<string, T>, unanswered: Iterable<string>, stored: Map<string, number>) {
  const missing = [...answered].filter(([id]) => !stored.has(id));
  const duplicated = [...stored].filter(([, n]) => n > 1).map(([id, n]) => `${id}×${n}`);
  const found = [...answered.keys()].filter((id) => stored.get(id) === 1).length;
  const unansweredRecorded = [...unanswered].filter((id) => stored.has(id)).length;
  return { missing, duplicated, found, unansweredRecorded };
}
