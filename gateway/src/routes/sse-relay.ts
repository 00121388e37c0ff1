import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { RequestContext } from "../pipeline/context.ts";
import type { StreamEncoder } from "../pipeline/endpoint.ts";
import type { StreamChunk } from "../providers/provider.ts";
import { unconvertible } from "./unconvertible.ts";

/**
 * Relays chunk by chunk as they arrive (no buffering, no delay); a stream the upstream cuts ends
 * with the endpoint's error event, never its clean end. Stages see the chunks through the
 * transforms wrapped around `chunks` (record-outcome, trace-request, …), before they are encoded.
 */
export async function relaySse(
  raw: ServerResponse,
  chunks: AsyncIterable<StreamChunk>,
  ctx: RequestContext,
  encoder: StreamEncoder,
): Promise<void> {
  const outcome = ctx.outcome;
  try {
    for await (const chunk of chunks) {
      if (raw.destroyed) return;
      const text = encoder.chunk(chunk);
      if (text === "") continue;
      if (outcome.firstChunkAt === null) {
        outcome.firstChunkAt = performance.now();
        ctx.telemetry?.firstToken();
      }
      // A client gone while we wait for drain aborts the signal: never a wait forever.
      if (!raw.write(text)) await once(raw, "drain", { signal: ctx.signal });
    }
    // The event is durable before the client sees the end of the stream.
    await ctx.seal?.();
    raw.end(encoder.end(outcome));
  } catch (error) {
    if (raw.destroyed) return;
    // Not an upstream cut (record-outcome recorded those): a chunk the endpoint's encoder could not convert.
    // Recorded as the error the client is sent, and the encoder's own text stays in the gateway.
    if (outcome.errorType === null) unconvertible(ctx);
    await ctx.seal?.();
    raw.end(encoder.error(outcome.errorMessage ?? ((error as Error).message || "upstream stream failed")));
  }
}
