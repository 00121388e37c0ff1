import {
  Attr,
  type Attributes,
  BoundedValues,
  Buckets,
  genAiProviderName,
  type Histogram,
  type Meter,
  Metrics,
  Values,
} from "@switchyard/platform";
import { LIMITS } from "../schemas/limits.ts";
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

interface Counter {
  add(value: number, attributes: Attributes): void;
}

/** Instruments and label bounds shared by every request of one gateway. */
export interface Instruments {
  duration: Histogram;
  tokens: Histogram;
  timeToFirstChunk: Histogram;
  requests: Counter;
  attempts: Counter;
  errors: Counter;
  cost: Counter;
  cacheLookups: Counter;
  models: BoundedValues;
  providers: BoundedValues;
  servers: BoundedValues;
  errorTypes: BoundedValues;
}

/** The gateway's metric instruments, created once per gateway on its meter. */
export function createInstruments(meter: Meter): Instruments {
  return {
    duration: meter.createHistogram(Metrics.genAiClientOperationDuration, {
      unit: "s",
      description: "GenAI operation duration",
      advice: { explicitBucketBoundaries: [...Buckets.genAiDurationSeconds] },
    }),
    tokens: meter.createHistogram(Metrics.genAiClientTokenUsage, {
      unit: "{token}",
      description: "Number of input and output tokens used",
      advice: { explicitBucketBoundaries: [...Buckets.genAiTokens] },
    }),
    timeToFirstChunk: meter.createHistogram(Metrics.genAiClientTimeToFirstChunk, {
      unit: "s",
      description: "Time to receive the first chunk of a streaming response",
      advice: { explicitBucketBoundaries: [...Buckets.genAiDurationSeconds] },
    }),
    requests: new TalliedCounter(meter, Metrics.gatewayRequests, {
      unit: "{request}",
      description: "Requests the gateway answered",
    }),
    attempts: new TalliedCounter(meter, Metrics.gatewayAttempts, {
      unit: "{attempt}",
      description: "Upstream attempts, retries and fallbacks included",
    }),
    errors: new TalliedCounter(meter, Metrics.gatewayErrors, {
      unit: "{request}",
      description: "Requests that ended in an error, by error.type",
    }),
    cost: new TalliedCounter(meter, Metrics.gatewayCost, {
      unit: "{nano_usd}",
      description: "Cost of answered requests in nano-USD (1e-9 USD)",
    }),
    cacheLookups: new TalliedCounter(meter, Metrics.gatewayCacheLookups, {
      unit: "{lookup}",
      description: "Cache lookups by switchyard.cache.status",
    }),
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
    const attributes: Attributes = {
      [Attr.genAiOperationName]: this.operation,
      [Attr.genAiProviderName]: i.providers.of(genAiProviderName(start.provider)),
      [Attr.httpResponseStatusCode]: end.status,
    };
    if (end.errorType) attributes[Attr.errorType] = i.errorTypes.of(end.errorType);
    i.attempts.add(1, attributes);
  }

  protected recordMetrics(result: RequestEnd, endedAt: number): void {
    const i = this.instruments;
    const provider = result.provider === null ? null : i.providers.of(genAiProviderName(result.provider));
    const errorType = result.errorType === null ? null : i.errorTypes.of(result.errorType);
    const cacheStatus = result.cacheStatus ?? "DISABLED";
    const requestAttributes: Attributes = {
      [Attr.genAiOperationName]: this.operation,
      [Attr.genAiProviderName]: provider ?? "none",
      [Attr.httpResponseStatusCode]: result.statusCode,
      [Attr.cacheStatus]: cacheStatus,
    };
    if (errorType) requestAttributes[Attr.errorType] = errorType;
    i.requests.add(1, requestAttributes);
    if (errorType) i.errors.add(1, { [Attr.errorType]: errorType, [Attr.genAiProviderName]: provider ?? "none" });
    if (cacheStatus !== "DISABLED") i.cacheLookups.add(1, { [Attr.cacheStatus]: cacheStatus });
    if (provider === null) return; // never reached a model: not a GenAI operation

    const genAi: Attributes = {
      [Attr.genAiOperationName]: this.operation,
      [Attr.genAiProviderName]: provider,
    };
    if (this.requestModel) genAi[Attr.genAiRequestModel] = i.models.of(this.requestModel);
    if (result.responseModel) genAi[Attr.genAiResponseModel] = i.models.of(result.responseModel);
    const address = result.serverAddress ?? this.lastServer?.address ?? null;
    const port = result.serverPort ?? this.lastServer?.port ?? null;
    if (address) genAi[Attr.serverAddress] = i.servers.of(address);
    if (address && port !== null) genAi[Attr.serverPort] = port;
    const withError = errorType ? { ...genAi, [Attr.errorType]: errorType } : genAi;
    i.duration.record(seconds(this.startedAt, endedAt), withError);
    if (this.stream && this.firstChunkAt !== null) {
      i.timeToFirstChunk.record(seconds(this.startedAt, this.firstChunkAt), withError);
    }
    const usage = result.usage;
    if (usage) {
      i.tokens.record(usage.input_tokens, { ...genAi, [Attr.genAiTokenType]: Values.tokenInput });
      i.tokens.record(usage.output_tokens, { ...genAi, [Attr.genAiTokenType]: Values.tokenOutput });
    }
    if (result.costNanoUsd) {
      const costAttributes: Attributes = { [Attr.genAiProviderName]: provider };
      if (genAi[Attr.genAiResponseModel]) costAttributes[Attr.genAiResponseModel] = genAi[Attr.genAiResponseModel];
      i.cost.add(result.costNanoUsd, costAttributes);
    }
  }
}
