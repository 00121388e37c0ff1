import type { Attributes, Meter } from "@switchyard/platform";

/** One label set's running total; callers holding it add to `value` directly. */
export interface Tally {
  readonly attributes: Attributes;
  value: number;
}

/**
 * A monotonic counter kept as plain sums per label set and reported through an observable counter
 * at collection time. Same series on /metrics and OTLP as a synchronous counter, but adding on the
 * request path is a plain `+=` on a Tally the caller found in its SeriesCache, instead of the
 * SDK's per-call attribute hashing (sort + serialize). Label sets are bounded by the callers
 * (BoundedValues); one label set has exactly one Tally whatever asks for it.
 */
export class TalliedCounter {
  readonly #series = new Map<string, Tally>();

  constructor(meter: Meter, name: string, options: { unit: string; description: string }) {
    meter.createObservableCounter(name, options).addCallback((result) => {
      for (const series of this.#series.values()) result.observe(series.value, series.attributes);
    });
  }

  /** The Tally of this label set, created at 0 on first use (observed from then on). */
  tally(attributes: Attributes): Tally {
    let key = "";
    for (const name in attributes) key += `${name}\u0000${String(attributes[name])}\u0001`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { attributes, value: 0 };
      this.#series.set(key, series);
    }
    return series;
  }
}
