import type { Attempt, CacheStatus, Usage } from "@switchyard/events";

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
