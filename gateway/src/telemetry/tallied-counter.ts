import type { Attributes, Meter } from "@switchyard/platform";

/**
 * A monotonic counter kept as plain sums per label set and reported through an observable counter
 * at collection time. Same series on /metrics and OTLP as a synchronous counter, but `add()` on the
 * request path is one string key and a map lookup instead of the SDK's per-call attribute hashing
 * (sort + serialize). Label sets are bounded by the callers (BoundedValues).
 */
export class TalliedCounter {
  readonly #series = new Map<string, { attributes: Attributes; value: number }>();

  constructor(meter: Meter, name: string, options: { unit: string; description: string }) {
    meter.createObservableCounter(name, options).addCallback((result) => {
      for (const series of this.#series.values()) result.observe(series.value, series.attributes);
    });
  }

  add(value: number, attributes: Attributes): void {
    let key = "";
    for (const name in attributes) key += `${name}\u0000${String(attributes[name])}\u0001`;
    const series = this.#series.get(key);
    if (series) series.value += value;
    else this.#series.set(key, { attributes, value });
  }
}
