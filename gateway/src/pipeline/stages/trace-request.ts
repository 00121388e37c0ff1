import { traceIdFrom } from "../../http/portkey-headers.ts";
import type { GatewayTelemetry } from "../../telemetry/index.ts";
import { streamEncoderOf } from "../context.ts";
import { transformStream } from "../reply.ts";
import type { RequestStage } from "../stage.ts";

/**
 * First stage: starts the request span (continuing an incoming W3C traceparent; never throws — a
 * malformed one starts a fresh trace) and fixes the Portkey trace id, echoed in x-portkey-trace-id
 * on every answer. When the span records, it also sees every streamed chunk, as the client gets
 * it. The span is ended by emit-event, from the finished event.
 * Writes: telemetry, otel, traceId, responseHeaders["x-portkey-trace-id"].
 */
export function traceRequest(telemetry: GatewayTelemetry, newTraceId: () => string): RequestStage {
  return {
    name: "trace-request",
    run(ctx, next) {
      const t = telemetry.startRequest({
        operation: ctx.endpoint.operation,
        incomingHeaders: ctx.headers,
        startedAt: ctx.startedAt,
      });
      ctx.telemetry = t;
      ctx.otel = t.traceIds();
      ctx.traceId = traceIdFrom(ctx.headers) ?? newTraceId();
      ctx.responseHeaders["x-portkey-trace-id"] = ctx.traceId;
      if (!t.recording) return next();
      return next().then((reply) => {
        if (reply.kind !== "stream" || ctx.request === null) return reply;
        // The span reports the chunk as the client's encoding shows it (id, finish reasons).
        const encoder = streamEncoderOf(ctx, ctx.request);
        return transformStream(reply, {
          chunk(chunk) {
            t.streamChunk(encoder.facts ? encoder.facts(chunk) : chunk);
            return chunk;
          },
        });
      });
    },
  };
}
