import { readFile } from "node:fs/promises";
import { formatIssues, type PriceOverride, PriceOverridesFile } from "@switchyard/events";

/** Loads the operator's price overrides (JSON, USD per million tokens); no path = catalogue prices only. */
export async function loadPriceOverrides(path: string | undefined): Promise<PriceOverride[]> {
  if (path === undefined) return [];
  const parsed = PriceOverridesFile.safeParse(JSON.parse(await readFile(path, "utf8")));
  if (!parsed.success) {
    throw new Error(`pricing overrides file ${path} is invalid: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data.models;
}
