import type { Attempt } from "@switchyard/events";
import type { PreparedTarget } from "../pipeline/prepare-targets.ts";
import type { CompletionResult, StreamChunk } from "../providers/provider.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import type { AttemptRecord, Execute } from "../routing/index.ts";
import type { ChatCompletionRequest } from "../schemas/chat.ts";

/** What one upstream attempt yields: a complete JSON answer, or an opened stream not yet relayed. */
export type AttemptValue =
  | { kind: "json"; result: CompletionResult }
  | { kind: "stream"; status: number; headers: Record<string, string>; chunks: AsyncIterable<StreamChunk> };

export interface AttemptPlan {
  request: ChatCompletionRequest;
  stream: boolean;
  targets: ReadonlyMap<string, PreparedTarget>;
  providers: ProviderRegistry;
}

/**
 * The router's `execute`: one call to the leaf's provider with the leaf's override_params applied
 * (they win over the request's own). A non-2xx answer is returned, not thrown, so the router can
 * retry or fall back on its status; a thrown error is a network failure.
 */
export function attemptExecutor(plan: AttemptPlan, models: Map<string, string>): Execute<AttemptValue> {
  return async (leaf, signal) => {
    const prepared = plan.targets.get(leaf.path);
    if (!prepared) throw new Error(`no prepared target for ${leaf.path}`);
    const request = { ...plan.request, ...leaf.overrideParams } as ChatCompletionRequest;
    models.set(leaf.path, request.model);
    const provider = plan.providers[prepared.providerId];
    const call = { request, target: prepared.target, signal };
    if (plan.stream) {
      const opened = await provider.stream(call);
      if (!opened.ok) return jsonOutcome(opened.result);
      return {
        status: opened.status,
        headers: opened.headers,
        value: { kind: "stream", status: opened.status, headers: opened.headers, chunks: opened.chunks },
      };
    }
    return jsonOutcome(await provider.complete(call));
  };
}

function jsonOutcome(result: CompletionResult) {
  return {
    status: result.status,
    headers: result.headers,
    value: { kind: "json" as const, result },
    errorType: result.failure?.type ?? null,
  };
}

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
