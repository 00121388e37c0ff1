import {
  Attr,
  type Attributes,
  BoundedValues,
  Buckets,
  genAiProviderName,
  type Meter,
  Metrics,
  Values,
} from "@switchyard/platform";
import { LIMITS } from "../schemas/limits.ts";
import { BoundHistogram } from "./bound-histogram.ts";
import { GenAiSeriesCache, TallySeries } from "./metric-series.ts";
import { TalliedCounter } from "./tallied-counter.ts";
import type { AttemptEnd, AttemptStart, ChatRequestLike, RequestEnd, RequestStart } from "./types.ts";

/**
 * Per metric label: distinct values it may take before later newcomers are reported as _OTHER
 * (`count`), and characters a value may have before it is reported as _OTHER (`length`). Both
 * bound /metrics: a 6 MiB model name once made every later scrape a multi-second 500.
 */
const LABEL_LIMITS = {
  models: { count: 500, length: LIMITS.modelName },
  providers: { count: 100, length: 64 },
  servers: { count: 200, length: 253 }, // the longest DNS name
  errorTypes: { count: 200, length: 64 },
} as const;

function boundedLabel(limit: { count: number; length: number }): BoundedValues {
  return new BoundedValues(limit.count, "_OTHER", limit.length);
}

/** Instruments, label bounds and series caches shared by every request of one gateway. */
export interface Instruments {
  duration: BoundHistogram;
  tokens: BoundHistogram;
  timeToFirstChunk: BoundHistogram;
  requests: TallySeries;
  attempts: TallySeries;
  errors: TallySeries;
  cacheLookups: TallySeries;
  cost: TalliedCounter;
  genAi: GenAiSeriesCache;
  models: BoundedValues;
  providers: BoundedValues;
  servers: BoundedValues;
  errorTypes: BoundedValues;
}

/** The gateway's metric instruments, created once per gateway on its meter. */
export function createInstruments(meter: Meter): Instruments {
  const duration = new BoundHistogram(
    meter.createHistogram(Metrics.genAiClientOperationDuration, {
      unit: "s",
      description: "GenAI operation duration",
      advice: { explicitBucketBoundaries: [...Buckets.genAiDurationSeconds] },
    }),
  );
  const tokens = new BoundHistogram(
    meter.createHistogram(Metrics.genAiClientTokenUsage, {
      unit: "{token}",
      description: "Number of input and output tokens used",
      advice: { explicitBucketBoundaries: [...Buckets.genAiTokens] },
    }),
  );
  const timeToFirstChunk = new BoundHistogram(
    meter.createHistogram(Metrics.genAiClientTimeToFirstChunk, {
      unit: "s",
      description: "Time to receive the first chunk of a streaming response",
      advice: { explicitBucketBoundaries: [...Buckets.genAiDurationSeconds] },
    }),
  );
  const tallied = (name: string, unit: string, description: string) =>
    new TalliedCounter(meter, name, { unit, description });
  return {
    duration,
    tokens,
    timeToFirstChunk,
    requests: new TallySeries(tallied(Metrics.gatewayRequests, "{request}", "Requests the gateway answered")),
    attempts: new TallySeries(
      tallied(Metrics.gatewayAttempts, "{attempt}", "Upstream attempts, retries and fallbacks included"),
    ),
    errors: new TallySeries(
      tallied(Metrics.gatewayErrors, "{request}", "Requests that ended in an error, by error.type"),
    ),
    cost: tallied(Metrics.gatewayCost, "{nano_usd}", "Cost of answered requests in nano-USD (1e-9 USD)"),
    cacheLookups: new TallySeries(
      tallied(Metrics.gatewayCacheLookups, "{lookup}", "Cache lookups by switchyard.cache.status"),
    ),
    genAi: new GenAiSeriesCache({ duration, timeToFirstChunk, tokens }),
    models: boundedLabel(LABEL_LIMITS.models),
    providers: boundedLabel(LABEL_LIMITS.providers),
    servers: boundedLabel(LABEL_LIMITS.servers),
    errorTypes: boundedLabel(LABEL_LIMITS.errorTypes),
  };
}

export function seconds(fromMs: number, toMs: number): number {
  return Math.max(0, toMs - fromMs) / 1000;
}

/** Metric recording shared by both handle kinds: what every request costs, traced or not. */
export abstract class RequestMetrics {
  protected readonly operation: string;
  protected requestModel: string | null;
  protected readonly startedAt: number;
  protected readonly instruments: Instruments;
  protected firstChunkAt: number | null = null;
  protected stream = false;
  protected lastServer: { address: string | null; port: number | null } | null = null;
  protected ended = false;

  constructor(start: RequestStart, instruments: Instruments) {
    this.operation = start.operation ?? Values.operationChat;
    this.requestModel = start.requestModel ?? null;
    this.startedAt = start.startedAt ?? performance.now();
    this.instruments = instruments;
  }

  firstToken(): void {
    this.firstChunkAt ??= performance.now();
  }

  protected noteRequest(body: ChatRequestLike): void {
    if (typeof body.model === "string") this.requestModel = body.model;
    this.stream = body.stream === true;
  }

  protected recordAttempt(start: AttemptStart, end: AttemptEnd): void {
    const i = this.instruments;
    const operation = this.operation;
    const provider = i.providers.of(genAiProviderName(start.provider));
    const status = end.status;
    const errorType = end.errorType ? i.errorTypes.of(end.errorType) : null;
    i.attempts.get([operation, provider, status, errorType], () => {
      const attributes: Attributes = {
        [Attr.genAiOperationName]: operation,
        [Attr.genAiProviderName]: provider,
        [Attr.httpResponseStatusCode]: status,
      };
      if (errorType !== null) attributes[Attr.errorType] = errorType;
      return attributes;
    }).value += 1;
  }

  /**
   * Label values are bounded (BoundedValues) in the same calls and order as ever, then each metric's
   * series is found by those values (metric-series.ts); attribute objects are built only for a label
   * set not seen before. An empty error type is no label, as it always was.
   */
  protected recordMetrics(result: RequestEnd, endedAt: number): void {
    const i = this.instruments;
    const operation = this.operation;
    const provider = result.provider === null ? null : i.providers.of(genAiProviderName(result.provider));
    const bounded = result.errorType === null ? null : i.errorTypes.of(result.errorType);
    const errorType = bounded ? bounded : null;
    const cacheStatus = result.cacheStatus ?? "DISABLED";
    const providerLabel = provider ?? "none";
    const status = result.statusCode;
    i.requests.get([operation, providerLabel, status, cacheStatus, errorType], () => {
      const attributes: Attributes = {
        [Attr.genAiOperationName]: operation,
        [Attr.genAiProviderName]: providerLabel,
        [Attr.httpResponseStatusCode]: status,
        [Attr.cacheStatus]: cacheStatus,
      };
      if (errorType !== null) attributes[Attr.errorType] = errorType;
      return attributes;
    }).value += 1;
    if (errorType !== null) {
      i.errors.get([errorType, providerLabel], () => ({
        [Attr.errorType]: errorType,
        [Attr.genAiProviderName]: providerLabel,
      })).value += 1;
    }
    if (cacheStatus !== "DISABLED") {
      i.cacheLookups.get([cacheStatus], () => ({ [Attr.cacheStatus]: cacheStatus })).value += 1;
    }
    if (provider === null) return; // never reached a model: not a GenAI operation

    const address = result.serverAddress ?? this.lastServer?.address ?? null;
    const port = result.serverPort ?? this.lastServer?.port ?? null;
    const series = i.genAi.get({
      operation,
      provider,
      requestModel: this.requestModel ? i.models.of(this.requestModel) : null,
      responseModel: result.responseModel ? i.models.of(result.responseModel) : null,
      serverAddress: address ? i.servers.of(address) : null,
      serverPort: address && port !== null ? port : null,
      errorType,
    });
    i.duration.record(seconds(this.startedAt, endedAt), series.duration);
    if (this.stream && this.firstChunkAt !== null) {
      i.timeToFirstChunk.record(seconds(this.startedAt, this.firstChunkAt), series.timeToFirstChunk);
    }
    const usage = result.usage;
    if (usage) {
      i.tokens.record(usage.input_tokens, series.inputTokens);
      i.tokens.record(usage.output_tokens, series.outputTokens);
    }
    if (result.costNanoUsd) {
      series.cost ??= i.cost.tally(series.costAttributes);
      series.cost.value += result.costNanoUsd;
    }
  }
}
