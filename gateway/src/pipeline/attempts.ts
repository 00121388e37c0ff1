import type { Attempt } from "@switchyard/events";
import type { AttemptRecord } from "../routing/index.ts";
import type { PreparedTarget } from "./prepare-targets.ts";

/** Router attempt records → the event's attempts (with the model each attempt asked for). */
export function eventAttempts(
  records: readonly AttemptRecord[],
  targets: ReadonlyMap<string, PreparedTarget>,
  models: ReadonlyMap<string, string>,
  requestedModel: string,
): Attempt[] {
  return records.map((a) => ({
    provider: targets.get(a.path)?.providerId ?? a.provider ?? "unknown",
    model: models.get(a.path) ?? requestedModel,
    status_code: a.status,
    latency_ms: Math.round(a.latencyMs * 1000) / 1000,
    error_type: a.errorType,
    target_path: a.path,
  }));
}
