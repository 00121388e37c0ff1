/**
 * ClickHouse prints 64-bit integers as JSON strings over HTTP (output_format_json_quote_64bit_integers)
 * and as numbers from the embedded engine; repositories accept both. Nano-USD sums stay exact below 2^53
 * (about 9 million USD per row of a result).
 */
export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value !== "") return Number(value);
  throw new TypeError(`expected a number from ClickHouse, got ${JSON.stringify(value)}`);
}

export function nanoToUsd(nano: number): number {
  return nano / 1e9;
}
