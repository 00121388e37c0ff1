import type { z } from "zod";
import { formatIssues } from "./zod-issues.ts";

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Events travel as UTF-8 JSON. encode() validates so a producer can never emit an invalid event.
 * `accepts` is an optional fast check for the hot path (acceptsRequestEvent): when it says true the
 * schema's own pass is skipped, so it must only say true for values the schema accepts unchanged;
 * when it says false the schema decides (and throws, or strips unknown keys) as without it.
 */
export function encodeEvent<S extends z.ZodType>(
  schema: S,
  event: z.infer<S>,
  accepts?: (value: unknown) => boolean,
): Buffer {
  const valid = accepts?.(event) === true ? event : schema.parse(event);
  return Buffer.from(JSON.stringify(valid), "utf8");
}

/** Never throws: a consumer turns a failure into a dead letter carrying `reason`. */
export function decodeEvent<S extends z.ZodType>(schema: S, bytes: Uint8Array | null): DecodeResult<z.infer<S>> {
  if (bytes === null) return { ok: false, reason: "empty message value" };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: `schema violation: ${formatIssues(parsed.error.issues)}` };
  }
  return { ok: true, value: parsed.data };
}
