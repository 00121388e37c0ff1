import type { Attempt } from "@switchyard/events";
import type { PreparedTarget } from "../pipeline/prepare-targets.ts";
import type { CompletionResult, StreamChunk } from "../providers/provider.ts";
import type { AttemptRecord } from "../routing/index.ts";

/** What one upstream attempt yields: a complete JSON answer, or an opened stream not yet relayed. */
export type AttemptValue =
  | { kind: "json"; result: CompletionResult }
  | { kind: "stream"; status: number; headers: Record<string, string>; chunks: AsyncIterable<StreamChunk> };

/** A stream opened by an attempt the router dropped must release its upstream connection. */
export function discardAttempt(value: AttemptValue): void {
  if (value.kind === "stream") void value.chunks[Symbol.asyncIterator]().return?.();
}

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
