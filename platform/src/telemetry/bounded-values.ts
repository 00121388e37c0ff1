/**
 * Keeps a metric label bounded in both directions: a value longer than `maxLength` characters is
 * reported as `overflow` (never truncated: two long values must not merge into one misleading
 * label), and once `max` distinct values have passed, every later new value is `overflow` too.
 * Labels that come from clients or upstreams (a model name in a request body or an upstream's
 * answer, an upstream's error type, a custom host) go through one of these, so a caller sending
 * random or huge model names cannot grow the metric series, or one series' size, without limit.
 */
export class BoundedValues {
  readonly #seen = new Set<string>();
  readonly #max: number;
  readonly #overflow: string;
  readonly #maxLength: number;

  constructor(max: number, overflow = "_OTHER", maxLength = BoundedValues.DEFAULT_MAX_LENGTH) {
    this.#max = max;
    this.#overflow = overflow;
    this.#maxLength = maxLength;
  }

  /** Characters a label value may have when the caller sets no bound. */
  static readonly DEFAULT_MAX_LENGTH = 256;

  of(value: string): string {
    if (value.length > this.#maxLength) return this.#overflow;
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.#max) return this.#overflow;
    this.#seen.add(value);
    return value;
  }
}
