/**
 * chdb applies a statement's settings as `SET` statements on its session, and a `SET` sticks: the next
 * statement (an ingest insert after an analytics query) would run under the previous one's settings. The
 * worker owns the session and runs one statement at a time, so it tracks what the session holds and
 * turns each statement's settings into the smallest `SET` that makes the session hold exactly them:
 * nothing when they equal what it already holds (the common case: no extra engine call per query),
 * `k = v` for a changed value and `k = DEFAULT` for one the previous statement set and this one does
 * not. The `SET` runs as its own call, so whether it took effect is known (a failed `SET` changes nothing).
 */

export type SettingValue = string | number | boolean;

/**
 * HTTP-interface settings with no meaning in the embedded engine (@clickhouse/client may send them;
 * the engine rejects them as unknown). `default_format` is the format option of the chdb call instead.
 */
const HTTP_ONLY = new Set([
  "wait_end_of_query",
  "send_progress_in_http_headers",
  "http_response_buffer_size",
  "http_headers_progress_interval_ms",
  "http_send_progress_interval_ms",
  "enable_http_compression",
  "http_zlib_compression_level",
  "http_response_compression_method",
  "http_native_compression_disable_checksumming_on_decompress",
  "default_format",
]);

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function literal(value: SettingValue): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`setting value must be finite: ${value}`);
    return String(value);
  }
  if (typeof value === "boolean") return value ? "1" : "0";
  // ClickHouse string literals escape a quote by doubling it.
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** Only the settings the engine knows, with undefined values dropped. */
export function engineSettings(settings: Record<string, unknown> | undefined): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = {};
  for (const [name, value] of Object.entries(settings ?? {})) {
    if (value === undefined || HTTP_ONLY.has(name)) continue;
    if (!SETTING_NAME.test(name)) throw new Error(`invalid setting name: ${JSON.stringify(name)}`);
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      throw new Error(`setting ${name} must be a string, number or boolean`);
    }
    out[name] = value;
  }
  return out;
}

export class SessionSettings {
  /** Settings the session holds beyond its baseline (what `open` applied), by name. */
  readonly #held = new Map<string, string>();
  readonly #baseline: ReadonlyMap<string, string>;

  constructor(baseline: Record<string, SettingValue>) {
    this.#baseline = new Map(Object.entries(baseline).map(([k, v]) => [k, literal(v)]));
  }

  /** The `SET …` that brings the session from what it holds to `wanted` (baseline + overrides), or null. */
  statementFor(wanted: Record<string, SettingValue>): string | null {
    const target = new Map(this.#baseline);
    for (const [name, value] of Object.entries(wanted)) target.set(name, literal(value));
    const assignments: string[] = [];
    for (const [name, value] of target) {
      const current = this.#held.get(name) ?? this.#baseline.get(name);
      if (current !== value) assignments.push(`${name} = ${value}`);
    }
    for (const name of this.#held.keys()) {
      if (!target.has(name)) assignments.push(`${name} = DEFAULT`);
    }
    return assignments.length === 0 ? null : `SET ${assignments.join(", ")}`;
  }

  /** Records that the statement for `wanted` ran (the session now holds exactly baseline + wanted). */
  applied(wanted: Record<string, SettingValue>): void {
    this.#held.clear();
    for (const [name, value] of Object.entries(wanted)) {
      const rendered = literal(value);
      if (this.#baseline.get(name) !== rendered) this.#held.set(name, rendered);
    }
  }

  /** The baseline's own `SET`, run once when the session opens. */
  baselineStatement(): string | null {
    if (this.#baseline.size === 0) return null;
    return `SET ${[...this.#baseline].map(([k, v]) => `${k} = ${v}`).join(", ")}`;
  }
}
