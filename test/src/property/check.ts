import { acceptsRequestEvent, encodeEvent, RequestEvent } from "@switchyard/events";
import { type Observation, type PropertyStack, until } from "./harness.ts";

/**
 * Codes of the errors answered at the HTTP edge, before any route runs (platform's EdgeErrors:
 * the body parser and Node's HTTP parser): such a request was never admitted, like a 401.
 */
const EDGE_REFUSALS = new Set([
  "invalid_json",
  "body_too_deep",
  "body_too_large",
  "malformed_request",
  "unsupported_media_type",
  "headers_too_large",
]);

function errorCode(body: string): string | null {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

/** Refused at the HTTP edge, before any route (and so authentication) ran. */
function refusedAtEdge(o: Observation): boolean {
  return o.status !== null && o.status < 500 && EDGE_REFUSALS.has(errorCode(o.body) ?? "");
}

/** Refused before admission: at the HTTP edge or by authentication (a trace id past its bound is refused after). */
export function refusedBeforeAdmission(o: Observation): boolean {
  return refusedAtEdge(o) || o.unauthenticated;
}

/**
 * The property for one observed request; returns what is wrong ([] when it holds).
 * - Refused before admission: no event at all (in either gateway).
 * - Otherwise admitted: exactly one new event, carrying the answer's trace id, valid per the
 *   RequestEvent schema and encodable as the production sink encodes it (its fast path never
 *   accepting what zod refuses); its status_code is the HTTP status, except a stream answered 200
 *   whose upstream broke off (502 stream_interrupted; the client got the error event) and a
 *   client that left (499; or, if it left before any status while the upstream answer was held
 *   open, whatever the gateway had already answered).
 */
export async function check(stack: PropertyStack, o: Observation): Promise<string[]> {
  const other = o.gateway === "open" ? "keyed" : "open";
  const fresh = () => stack.sinks[o.gateway].events.slice(o.before[o.gateway]);
  const stray = stack.sinks[other].events.length - o.before[other];
  const problems = stray === 0 ? [] : [`${stray} event(s) in the other gateway`];
  if (o.status === null && !o.aborted) return [...problems, "no answer"];
  if (o.unauthenticated && !refusedAtEdge(o) && o.status !== 401) {
    problems.push(`no gateway key or a wrong one, answered ${o.status} instead of 401`);
  } else if (o.badTraceId && !o.unauthenticated && !refusedAtEdge(o) && o.status !== 400) {
    problems.push(`a trace id past its bound answered ${o.status} instead of 400`);
  }
  if (refusedBeforeAdmission(o)) {
    // Events reach the sink before the answer's last byte: nothing can still be on its way.
    await new Promise((resolve) => setImmediate(resolve));
    const n = fresh().length;
    return n === 0 ? problems : [...problems, `refused before admission (${o.status}) but ${n} event(s)`];
  }
  try {
    // Already there for an answered request; a client that left may be recorded a moment later.
    await until(() => fresh().length > 0, "the event", 3_000);
  } catch {
    return [...problems, `answered ${o.status ?? "(client left)"} but no event was emitted`];
  }
  await new Promise((resolve) => setImmediate(resolve));
  const events = fresh();
  if (events.length !== 1) problems.push(`${events.length} events for one request`);
  const event = events[0]!;
  if (o.traceId && event.trace_id !== o.traceId) problems.push(`event trace_id ${event.trace_id} ≠ ${o.traceId}`);
  if (!o.traceId && !o.aborted) problems.push("no x-portkey-trace-id on the answer");
  const parsed = RequestEvent.safeParse(event);
  if (!parsed.success) problems.push(`event fails the schema: ${parsed.error.message}`);
  if (acceptsRequestEvent(event) && !parsed.success) problems.push("the sink's fast path accepts an invalid event");
  try {
    encodeEvent(RequestEvent, event, acceptsRequestEvent);
  } catch (error) {
    problems.push(`the production encoder refuses the event: ${(error as Error).message}`);
  }
  const streamed = o.contentType.startsWith("text/event-stream");
  const status = event.status_code;
  const expected =
    status === o.status ||
    (o.aborted && status === 499) ||
    (o.leftUnseen === true && o.status === null) ||
    (streamed && o.status === 200 && status === 502 && event.error_type === "stream_interrupted");
  if (!expected) {
    problems.push(
      `event status_code ${status} (${event.error_type}) but the client got ${o.status ?? "nothing (it left)"}`,
    );
  }
  return problems;
}
