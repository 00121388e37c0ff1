import { readFile } from "node:fs/promises";
import { formatIssues } from "@switchyard/events";
import { type ApiKeyRecord, KeysFile } from "./keys.ts";

/** Loads a JSON keys file ({"keys": [...]}); a missing path means no keys (open local-dev mode). */
export async function loadKeysFile(path: string | undefined): Promise<ApiKeyRecord[]> {
  if (path === undefined) return [];
  const text = await readFile(path, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`keys file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = KeysFile.safeParse(json);
  if (!parsed.success) {
    throw new Error(`keys file ${path} is invalid: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data.keys;
}
