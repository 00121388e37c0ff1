/**
 * Keeps a metric label's cardinality bounded: the first `max` distinct values pass through, every
 * later new value is reported as `overflow`. Labels that come from clients or upstreams (a model
 * name in a request body, an upstream's error type, a custom host) go through one of these, so a
 * caller sending random model names cannot grow the metric series without limit.
 */
export class BoundedValues {
  readonly #seen = new Set<string>();
  readonly #max: number;
  readonly #overflow: string;

  constructor(max: number, overflow = "_OTHER") {
    this.#max = max;
    this.#overflow = overflow;
  }

  of(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.#max) return this.#overflow;
    this.#seen.add(value);
    return value;
  }
}
