import { requestEndFromEvent } from "../../telemetry/index.ts";
import type { EventSink } from "../emit.ts";
import { buildRequestEvent, type EventEnvironment } from "../request-event.ts";
import type { RequestStage } from "../stage.ts";

/**
 * The admission line: from here on exactly one RequestEvent is emitted for the request, once its
 * response is over (complete, failed, or abandoned by the client) — the transport runs the
 * context's finishers exactly once. The event also ends the request span.
 * Reads: everything the event holds. Writes: finishers.
 */
export function emitEvent(sink: EventSink, env: EventEnvironment): RequestStage {
  return {
    name: "emit-event",
    run(ctx, next) {
      ctx.finishers.push(() => {
        const event = buildRequestEvent(ctx, performance.now(), env);
        const t = ctx.telemetry;
        if (t === null) {
          sink.emit(event);
          return;
        }
        const rendered = ctx.rendered;
        t.end(
          requestEndFromEvent(event, {
            responseBody: rendered?.body ?? null,
            responseId: rendered?.responseId ?? null,
            finishReasons: rendered?.finishReasons ?? null,
          }),
        );
        // The record headers carry the trace context, so ingest's consumer span links back here.
        sink.emit(event, t.recordHeaders());
      });
      return next();
    },
  };
}
