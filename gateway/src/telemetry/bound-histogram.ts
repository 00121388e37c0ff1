import type { Attributes, Histogram } from "@switchyard/platform";

/**
 * The parts of @opentelemetry/sdk-metrics 3.x a histogram's record() goes through, as read here:
 * instrument → storage (one SyncMetricStorage per reader, or a MultiMetricStorage of them) → its
 * DeltaMetricProcessor's active map (attribute hash → accumulation, replaced by a new map at every
 * collection). Private to the SDK, so never assumed: `storagesOf` checks every piece at runtime and
 * returns null when anything differs (another SDK version, a view with an attributes processor, the
 * no-op meter), and the histogram then takes the public record() path every time.
 */
interface Accumulation {
  record(value: number): void;
}
interface ActiveMap {
  get(attributes: Attributes): Accumulation | undefined;
}
interface DeltaStorage {
  _activeCollectionStorage: ActiveMap;
}

function isDeltaStorage(value: unknown): value is DeltaStorage {
  const map = (value as { _activeCollectionStorage?: { get?: unknown } } | undefined)?._activeCollectionStorage;
  return typeof map?.get === "function";
}

/** @opentelemetry/api's ValueType.DOUBLE (an INT histogram's record() truncates values first). */
const VALUE_TYPE_DOUBLE = 1;

function storagesOf(histogram: Histogram): DeltaStorage[] | null {
  const descriptor = (histogram as { _descriptor?: { valueType?: unknown } })._descriptor;
  if (descriptor?.valueType !== VALUE_TYPE_DOUBLE) return null;
  const writable = (histogram as { _writableMetricStorage?: unknown })._writableMetricStorage as
    | { _backingStorages?: unknown[]; _attributesProcessor?: unknown; _deltaMetricStorage?: unknown }
    | undefined;
  if (writable === undefined || writable === null) return null;
  const storages = Array.isArray(writable._backingStorages) ? writable._backingStorages : [writable];
  const deltas: DeltaStorage[] = [];
  for (const storage of storages) {
    const s = storage as { _attributesProcessor?: unknown; _deltaMetricStorage?: unknown };
    if (s._attributesProcessor !== undefined || !isDeltaStorage(s._deltaMetricStorage)) return null;
    deltas.push(s._deltaMetricStorage);
  }
  return deltas.length > 0 ? deltas : null;
}

/** One label set of one histogram: its attributes and, per storage, the accumulation last bound. */
export interface HistogramSeries {
  readonly attributes: Attributes;
  maps: (ActiveMap | null)[];
  accumulations: (Accumulation | undefined)[];
}

/**
 * A histogram whose record() on a known label set skips the SDK's per-call attribute hashing
 * (Object.keys + sort + JSON.stringify, then a Map lookup on that string, once per reader): the
 * series remembers the SDK's own accumulation for its attributes and records into it directly, as
 * long as that accumulation is still in the storage's active map. After a collection swapped the map
 * (or on a series' first value) the value goes through the SDK's public record(), which creates the
 * accumulation exactly as it always does (start time, cardinality limit and overflow included), and
 * the series binds to it again. What the SDK aggregates and exports is therefore unchanged.
 */
export class BoundHistogram {
  readonly #histogram: Histogram;
  readonly #storages: DeltaStorage[] | null;

  constructor(histogram: Histogram) {
    this.#histogram = histogram;
    this.#storages = storagesOf(histogram);
  }

  /** True when records on a bound series bypass the SDK's hashing (false: public path only). */
  get fast(): boolean {
    return this.#storages !== null;
  }

  series(attributes: Attributes): HistogramSeries {
    return { attributes, maps: [], accumulations: [] };
  }

  record(value: number, series: HistogramSeries): void {
    const storages = this.#storages;
    // Negative values: the SDK's record() warns and drops them; let it.
    if (storages !== null && value >= 0 && this.#bound(series, storages)) {
      for (const accumulation of series.accumulations) (accumulation as Accumulation).record(value);
      return;
    }
    this.#histogram.record(value, series.attributes);
    if (storages !== null) this.#bind(series, storages);
  }

  #bound(series: HistogramSeries, storages: DeltaStorage[]): boolean {
    if (series.maps.length !== storages.length) return false;
    for (let i = 0; i < storages.length; i += 1) {
      if (series.maps[i] !== (storages[i] as DeltaStorage)._activeCollectionStorage) return false;
    }
    return true;
  }

  #bind(series: HistogramSeries, storages: DeltaStorage[]): void {
    const maps: (ActiveMap | null)[] = [];
    const accumulations: (Accumulation | undefined)[] = [];
    for (const storage of storages) {
      const map = storage._activeCollectionStorage;
      const accumulation = map.get(series.attributes);
      // Not found (the series went to the SDK's overflow series): stay on the public path.
      maps.push(accumulation === undefined ? null : map);
      accumulations.push(accumulation);
    }
    series.maps = maps;
    series.accumulations = accumulations;
  }
}
