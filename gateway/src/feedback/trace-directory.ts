import type { ClickHouse, Logger } from "@switchyard/platform";
import { LRUCache } from "lru-cache";
import type { TraceDirectory } from "../routes/feedback.ts";

/** Trace owners remembered (a trace's tenant never changes); misses are asked again. */
const OWNERS_CACHED = 10_000;

/**
 * Which tenant recorded a trace, read from the `requests` table (its `trace_keys` projection is
 * sorted by trace id, so this is a point lookup). A trace not recorded yet — ingest runs behind
 * the answer — is null, as is any failure of the lookup (logged): feedback stays writable when
 * ClickHouse is slow, and it is tenant-scoped at query time regardless (see routes/feedback.ts).
 */
export function clickHouseTraceDirectory(client: ClickHouse["client"], logger: Logger): TraceDirectory {
  const owners = new LRUCache<string, string>({ max: OWNERS_CACHED });
  return async (traceId) => {
    const known = owners.get(traceId);
    if (known !== undefined) return known;
    try {
      const result = await client.query({
        query: "SELECT tenant_id FROM requests WHERE trace_id = {trace:String} LIMIT 1",
        query_params: { trace: traceId },
        format: "JSONEachRow",
      });
      const [row] = await result.json<{ tenant_id: string }>();
      if (row === undefined) return null;
      owners.set(traceId, row.tenant_id);
      return row.tenant_id;
    } catch (error) {
      logger.warn(
        { err: error },
        "feedback: trace owner lookup failed; accepting (feedback is tenant-scoped at query time)",
      );
      return null;
    }
  };
}
