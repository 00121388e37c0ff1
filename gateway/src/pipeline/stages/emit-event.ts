import { requestEndFromEvent } from "../../telemetry/index.ts";
import type { EventSink } from "../emit.ts";
import { buildRequestEvent, type EventEnvironment } from "../request-event.ts";
import type { RequestStage } from "../stage.ts";

/**
 * The admission line: from here on exactly one RequestEvent is emitted for the request. An answer
 * the transport writes is sealed first (the event is built and durably handed over before its last
 * byte); a request that ends otherwise (client gone, a failure while writing) is recorded when the
 * response is over. Whichever comes first emits; the other does nothing. The event ends the span.
 * Reads: everything the event holds. Writes: seal, finishers.
 */
export function emitEvent(sink: EventSink, env: EventEnvironment): RequestStage {
  return {
    name: "emit-event",
    run(ctx, next) {
      let emitted = false;
      const emit = (): Promise<void> | void => {
        if (emitted) return;
        emitted = true;
        const event = buildRequestEvent(ctx, performance.now(), env);
        const t = ctx.telemetry;
        if (t === null) return sink.emit(event);
        const rendered = ctx.rendered;
        t.end(
          requestEndFromEvent(event, {
            responseBody: rendered?.body ?? null,
            responseId: rendered?.responseId ?? null,
            finishReasons: rendered?.finishReasons ?? null,
          }),
        );
        // The record headers carry the trace context, so ingest's consumer span links back here.
        return sink.emit(event, t.recordHeaders());
      };
      ctx.seal = emit;
      ctx.finishers.push(() => {
        void emit();
      });
      return next();
    },
  };
}
