import { Attr, type Attributes, Values } from "@switchyard/platform";
import type { BoundHistogram, HistogramSeries } from "./bound-histogram.ts";
import { type LabelValue, SeriesCache } from "./series-cache.ts";
import type { TalliedCounter, Tally } from "./tallied-counter.ts";

/**
 * Label sets already seen, found by their (bounded) label values in a SeriesCache, so the request
 * path neither builds attribute objects nor hashes them once a label set is known. Every attribute
 * object is built here, in the same key order as it always was (/metrics prints labels in it).
 */

/** Ample for the label sets a gateway sees; past it a cache refills (handles are recreatable). */
const SERIES_CACHE_MAX = 4096;

/** The handles one GenAI label set (operation, provider, models, server, error) records into. */
export interface GenAiSeries {
  duration: HistogramSeries;
  timeToFirstChunk: HistogramSeries;
  inputTokens: HistogramSeries;
  outputTokens: HistogramSeries;
  /** Created on the first cost recorded, so a label set that never cost anything has no series. */
  cost: Tally | null;
  readonly costAttributes: Attributes;
}

/** Labels of one GenAI operation, already bounded; null = label absent. */
export interface GenAiLabels {
  operation: string;
  provider: string;
  requestModel: string | null;
  responseModel: string | null;
  serverAddress: string | null;
  serverPort: number | null;
  errorType: string | null;
}

export class TallySeries {
  readonly #cache = new SeriesCache<Tally>(SERIES_CACHE_MAX);
  readonly #counter: TalliedCounter;

  constructor(counter: TalliedCounter) {
    this.#counter = counter;
  }

  /** The tally of the label set `values` stand for; `attributes` builds it the first time. */
  get(values: readonly LabelValue[], attributes: () => Attributes): Tally {
    return this.#cache.get(values) ?? this.#cache.set(values, this.#counter.tally(attributes()));
  }
}

export class GenAiSeriesCache {
  readonly #cache = new SeriesCache<GenAiSeries>(SERIES_CACHE_MAX);
  readonly #histograms: { duration: BoundHistogram; timeToFirstChunk: BoundHistogram; tokens: BoundHistogram };

  constructor(histograms: { duration: BoundHistogram; timeToFirstChunk: BoundHistogram; tokens: BoundHistogram }) {
    this.#histograms = histograms;
  }

  get(l: GenAiLabels): GenAiSeries {
    const key = [l.operation, l.provider, l.requestModel, l.responseModel, l.serverAddress, l.serverPort, l.errorType];
    return this.#cache.get(key) ?? this.#cache.set(key, this.#create(l));
  }

  #create(l: GenAiLabels): GenAiSeries {
    const h = this.#histograms;
    const genAi: Attributes = {
      [Attr.genAiOperationName]: l.operation,
      [Attr.genAiProviderName]: l.provider,
    };
    if (l.requestModel !== null) genAi[Attr.genAiRequestModel] = l.requestModel;
    if (l.responseModel !== null) genAi[Attr.genAiResponseModel] = l.responseModel;
    if (l.serverAddress !== null) genAi[Attr.serverAddress] = l.serverAddress;
    if (l.serverPort !== null) genAi[Attr.serverPort] = l.serverPort;
    const withError = l.errorType !== null ? { ...genAi, [Attr.errorType]: l.errorType } : genAi;
    const costAttributes: Attributes = { [Attr.genAiProviderName]: l.provider };
    if (l.responseModel !== null) costAttributes[Attr.genAiResponseModel] = l.responseModel;
    return {
      duration: h.duration.series(withError),
      timeToFirstChunk: h.timeToFirstChunk.series(withError),
      inputTokens: h.tokens.series({ ...genAi, [Attr.genAiTokenType]: Values.tokenInput }),
      outputTokens: h.tokens.series({ ...genAi, [Attr.genAiTokenType]: Values.tokenOutput }),
      cost: null,
      costAttributes,
    };
  }
}
