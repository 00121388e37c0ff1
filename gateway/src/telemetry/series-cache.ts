/** One label's value in a series key; null stands for "label absent" (distinct from any string). */
export type LabelValue = string | number | null;

/**
 * Entries found by a fixed-order list of label values, held in nested Maps (one level per label).
 * A lookup is one Map.get per label on the values themselves: no key string is built, no attribute
 * object is sorted or serialised. Callers must always pass the same labels in the same order for one
 * cache, with `null` for an absent label, so that two different label sets never share a path.
 * Bounded: past `maxEntries` the cache is emptied and refilled on demand, so entries must be
 * recreatable (handles onto state kept elsewhere, never the state itself).
 */
export class SeriesCache<T> {
  #root = new Map<LabelValue, unknown>();
  #size = 0;
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(values: readonly LabelValue[]): T | undefined {
    let node: unknown = this.#root;
    for (let i = 0; i < values.length; i += 1) {
      node = (node as Map<LabelValue, unknown>).get(values[i] as LabelValue);
      if (node === undefined) return undefined;
    }
    return node as T;
  }

  set(values: readonly LabelValue[], entry: T): T {
    if (this.#size >= this.#maxEntries) {
      this.#root = new Map();
      this.#size = 0;
    }
    let node = this.#root;
    const last = values.length - 1;
    for (let i = 0; i < last; i += 1) {
      const value = values[i] as LabelValue;
      let next = node.get(value) as Map<LabelValue, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    node.set(values[last] as LabelValue, entry);
    this.#size += 1;
    return entry;
  }
}
