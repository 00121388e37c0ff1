/**
 * ClickHouse's text form of DateTime64(3, 'UTC') is `YYYY-MM-DD hh:mm:ss.sss`; it is what both the
 * embedded engine and a server parse without extra settings and what they print back.
 */
export function toClickHouseDateTime(value: Date | string): string {
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a valid date: ${String(value)}`);
  return date.toISOString().replace("T", " ").replace("Z", "");
}

/** Inverse of toClickHouseDateTime: a UTC DateTime/DateTime64 as ClickHouse prints it → ISO-8601 with Z. */
export function fromClickHouseDateTime(value: string): string {
  const [datePart, timePart = "00:00:00"] = value.split(" ");
  const [hms, fraction = ""] = timePart.split(".");
  return `${datePart}T${hms}.${fraction.padEnd(3, "0").slice(0, 3)}Z`;
}
