import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { AnalyticsError } from "../errors.ts";

/**
 * A request-log page cursor: where the previous page ended (occurred_at, event_id), the window the first
 * page resolved (so "now" moving does not shift later pages), and a digest of the query it belongs to.
 * It is signed (HMAC-SHA256 with the app's key): a cursor that was edited, or that belongs to another
 * query or tenant scope, is a 400 naming `cursor`, never a different slice of the data.
 */
const CursorState = z.object({
  at: z.string().max(40),
  id: z.uuid(),
  from: z.number().int(),
  to: z.number().int(),
  q: z.string().max(64),
});
export type CursorState = z.infer<typeof CursorState>;

/** A stable digest of what a page query filters on (everything except the cursor, limit and window). */
export function queryDigest(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 22);
}

export class CursorCodec {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  #sign(payload: string): Buffer {
    return createHmac("sha256", this.#key).update(payload).digest();
  }

  encode(state: CursorState): string {
    const payload = Buffer.from(JSON.stringify(state)).toString("base64url");
    return `${payload}.${this.#sign(payload).toString("base64url")}`;
  }

  /** The state inside `cursor`, if this app signed it for a query with `digest`; else a 400. */
  decode(cursor: string, digest: string): CursorState {
    const invalid = (why: string) =>
      new AnalyticsError("invalid_parameter", `invalid value for 'cursor': ${why}`, "cursor");
    const [payload, signature, extra] = cursor.split(".");
    if (payload === undefined || signature === undefined || extra !== undefined) throw invalid("malformed cursor");
    const expected = this.#sign(payload);
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalid("the cursor was not issued by this API or was modified");
    }
    let state: CursorState;
    try {
      state = CursorState.parse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
    } catch {
      throw invalid("malformed cursor");
    }
    if (state.q !== digest)
      throw invalid("the cursor belongs to a different query; keep the filters of the first page");
    return state;
  }
}
