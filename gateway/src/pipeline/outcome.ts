import type {
  Attempt,
  CacheStatus,
  GuardrailHookResult,
  GuardrailResult,
  LimitCheck,
  RequestBodies,
  Usage,
} from "@switchyard/events";

/** Filled in as the request proceeds; read once, when the response is over, to build the event. */
export interface RequestOutcome {
  statusCode: number;
  errorType: string | null;
  errorMessage: string | null;
  usage: Usage | null;
  /** Seconds of audio the answer billed (a transcription priced per second); null otherwise. */
  audioSeconds: number | null;
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
  /** The cache stage: a hash of the key it looked up, and for a hit what the stored answer cost. */
  cacheKey: string | null;
  costSavedNanoUsd: number;
  /** The guardrail stages: every hook and check that ran (async ones included, when they end in time). */
  guardrailHooks: GuardrailHookResult[];
  guardrailChecks: GuardrailResult[];
  /** The limits stage: every limit the request was checked against. */
  limitChecks: LimitCheck[];
  /** The prompt stage: which prompt version rendered the request. */
  prompt: { id: string; version: number; label: string | null } | null;
  /** The body-capture stage: prompt and answer as sent upstream and returned, capped. */
  bodies: RequestBodies | null;
}

export function newOutcome(): RequestOutcome {
  return {
    statusCode: 200,
    errorType: null,
    errorMessage: null,
    usage: null,
    audioSeconds: null,
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
    cacheKey: null,
    costSavedNanoUsd: 0,
    guardrailHooks: [],
    guardrailChecks: [],
    limitChecks: [],
    prompt: null,
    bodies: null,
  };
}
