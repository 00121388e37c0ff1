import { type FeedbackEvent, newEventId } from "@switchyard/events";
import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { GatewayError } from "../errors.ts";
import { authenticate, requireScope } from "../pipeline/authenticate.ts";
import type { EventSink } from "../pipeline/emit.ts";
import { invalidBody } from "../pipeline/endpoint.ts";

/**
 * Portkey's feedback API. Every write is a FeedbackEvent on llm.feedback.v1 with the caller's
 * tenant; an update is a new event with the same feedback_id, and the latest one counts
 * (ClickHouse view `feedback_current`, migration 004).
 *
 * Tenant scoping: feedback joins requests on (tenant_id, trace_id), so feedback written about
 * another tenant's trace never attaches to it. When the app has a trace directory (a ClickHouse
 * lookup of recorded requests), feedback on a trace recorded under another tenant is also a 404
 * at write time; a trace not recorded yet (ingest lags the answer) is accepted either way.
 *
 * A feedback id is `<uuidv7>.<base64url(trace_id)>`: the gateway keeps no store, and an update
 * (whose body has no trace id) must still name its trace.
 */
export const FEEDBACK_BATCH_MAX = 100;
const METADATA_KEYS_MAX = 64;

const MetadataValue = z.union([z.string().max(1_024), z.number(), z.boolean()]);
const Metadata = z
  .record(z.string().min(1).max(128), MetadataValue)
  .refine((m) => Object.keys(m).length <= METADATA_KEYS_MAX, `at most ${METADATA_KEYS_MAX} keys`)
  .default({});
const Value = z.number().int().min(-10).max(10);
const Weight = z.number().min(0).max(1);

/** One feedback as sent: `trace_id`, or `traceID` (the SDK snake-cases only a top-level object's keys). */
const FeedbackItem = z
  .strictObject({
    trace_id: z.string().min(1).max(256).optional(),
    traceID: z.string().min(1).max(256).optional(),
    value: Value,
    weight: Weight.default(1),
    metadata: Metadata,
  })
  .refine((f) => f.trace_id !== undefined || f.traceID !== undefined, {
    message: "trace_id is required",
    path: ["trace_id"],
  });

const FeedbackBatch = z.array(FeedbackItem).min(1).max(FEEDBACK_BATCH_MAX);

const FeedbackUpdate = z.strictObject({
  value: Value,
  weight: Weight.default(1),
  metadata: Metadata,
  /** The SDK repeats the id from the URL in the body (feedbackID → feedback_id); the URL's wins. */
  feedback_id: z.string().optional(),
  feedbackID: z.string().optional(),
});

/** Which tenant recorded a trace: null when no request with that trace id is recorded (yet). */
export type TraceDirectory = (traceId: string) => Promise<string | null>;

export interface FeedbackRouteDeps {
  keys: KeyStore;
  sink: EventSink;
  traces?: TraceDirectory | undefined;
}

export function registerFeedback(app: FastifyInstance, deps: FeedbackRouteDeps): void {
  const caller = (request: FastifyRequest) => {
    const { principal } = authenticate(request.headers, deps.keys);
    requireScope(principal, "feedback.write");
    return principal.tenantId;
  };
  const checkTrace = async (tenantId: string, traceId: string, param: string) => {
    const owner = deps.traces ? await deps.traces(traceId) : null;
    if (owner !== null && owner !== tenantId) {
      throw new GatewayError("feedback_not_found", `trace ${traceId} does not exist`, param);
    }
  };
  const emit = (
    tenantId: string,
    traceId: string,
    feedbackId: string,
    f: { value: number; weight: number; metadata: Record<string, unknown> },
  ) => {
    const event: FeedbackEvent = {
      event_id: newEventId(),
      schema_version: 1,
      occurred_at: new Date().toISOString(),
      tenant_id: tenantId,
      trace_id: traceId,
      feedback_id: feedbackId,
      value: f.value,
      weight: f.weight,
      metadata: Object.fromEntries(Object.entries(f.metadata).map(([k, v]) => [k, String(v)])),
    };
    deps.sink.emitFeedback(event);
  };
  const answer = (ids: string[], message: string) => ({
    status: "success",
    message,
    feedback_ids: ids,
    feedback_id: ids,
  });

  app.post("/v1/feedback", async (request) => {
    const tenantId = caller(request);
    // An object or an array of them; dispatched here so a bad field is named, not "no union member matched".
    const body = batchOf(request.body) ?? request.body;
    const parsed = Array.isArray(body)
      ? FeedbackBatch.safeParse(body)
      : FeedbackItem.transform((f) => [f]).safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    const items = parsed.data;
    const batch = Array.isArray(body);
    const traces = items.map((f) => (f.trace_id ?? f.traceID) as string);
    // Every item is checked before any is written: a batch is accepted or refused whole.
    await Promise.all(traces.map((t, i) => checkTrace(tenantId, t, batch ? `${i}.trace_id` : "trace_id")));
    const ids = items.map((f, i) => {
      const id = newFeedbackId(traces[i]!);
      emit(tenantId, traces[i]!, id, f);
      return id;
    });
    return answer(ids, `${ids.length} feedback saved`);
  });

  app.put<{ Params: { id: string } }>("/v1/feedback/:id", async (request) => {
    const tenantId = caller(request);
    const traceId = traceOfFeedbackId(request.params.id);
    if (traceId === null)
      throw new GatewayError("feedback_not_found", `feedback ${request.params.id.slice(0, 80)} does not exist`, "id");
    const parsed = FeedbackUpdate.safeParse(request.body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    await checkTrace(tenantId, traceId, "id");
    emit(tenantId, traceId, request.params.id, parsed.data);
    return answer([request.params.id], "feedback updated");
  });
}

/**
 * The portkey-ai SDK snake-cases a body by copying its keys into an object, so an array it is
 * given arrives as `{"0": {...}, "1": {...}}`: such an object is read as the array it was.
 */
function batchOf(body: unknown): unknown[] | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const keys = Object.keys(body);
  if (keys.length === 0 || keys.length > FEEDBACK_BATCH_MAX + 1) return null;
  if (!keys.every((key, i) => key === String(i))) return null;
  return Object.values(body);
}

export function newFeedbackId(traceId: string): string {
  return `${newEventId()}.${Buffer.from(traceId, "utf8").toString("base64url")}`;
}

const FEEDBACK_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.([A-Za-z0-9_-]{2,344})$/;

/** The trace a feedback id names, or null when it is not one this gateway issued. */
export function traceOfFeedbackId(id: string): string | null {
  const match = FEEDBACK_ID.exec(id);
  if (!match) return null;
  const trace = Buffer.from(match[2]!, "base64url").toString("utf8");
  return trace.length >= 1 && trace.length <= 256 && Buffer.from(trace, "utf8").toString("base64url") === match[2]
    ? trace
    : null;
}
