import type { Attempt, CacheStatus, Usage } from "@switchyard/events";
import type { Principal } from "@switchyard/platform";

/** What the gateway knows about a request once it has been admitted (authenticated). */
export interface RequestContext {
  /** performance.now() when the request arrived; all *_ms fields are measured from it. */
  startedAt: number;
  occurredAt: Date;
  endpoint: string;
  traceId: string;
  principal: Principal;
  metadata: Record<string, string>;
  user: string | null;
  outcome: RequestOutcome;
  route: RouteDecision | null;
  /** OpenTelemetry ids of this request (the application's trace when it sent a traceparent). */
  otel: { otelTraceId: string | null; otelSpanId: string | null };
}

export interface RouteDecision {
  /** The model the client asked for (before any override_params). */
  modelRequested: string;
  /** Saved config id (`pc-…`) when the request used one. */
  configId: string | null;
  stream: boolean;
}

/** Filled in as the request proceeds; read once, when the response is over, to build the event. */
export interface RequestOutcome {
  statusCode: number;
  errorType: string | null;
  errorMessage: string | null;
  usage: Usage | null;
  modelUsed: string | null;
  upstreamStartedAt: number | null;
  upstreamEndedAt: number | null;
  firstChunkAt: number | null;
  cacheStatus: CacheStatus;
  attempts: Attempt[];
  /** The target that produced the response (or the last one tried). */
  provider: string | null;
  targetPath: string | null;
  virtualKeyId: string | null;
  /** Retries of the final target (x-portkey-retry-attempt-count). */
  retryCount: number;
}

export function newOutcome(): RequestOutcome {
  return {
    statusCode: 200,
    errorType: null,
    errorMessage: null,
    usage: null,
    modelUsed: null,
    upstreamStartedAt: null,
    upstreamEndedAt: null,
    firstChunkAt: null,
    cacheStatus: "DISABLED",
    attempts: [],
    provider: null,
    targetPath: null,
    virtualKeyId: null,
    retryCount: 0,
  };
}
