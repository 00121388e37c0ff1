import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { RequestOutcome } from "../pipeline/context.ts";
import type { StreamChunk } from "../providers/provider.ts";

/**
 * Relays an upstream stream to the client chunk by chunk as it arrives (no buffering, no
 * delay). A stream the upstream cuts ends with an SSE error event, not a clean `[DONE]`,
 * so clients can tell it is incomplete.
 */
export async function relayStream(
  raw: ServerResponse,
  chunks: AsyncIterable<StreamChunk>,
  outcome: RequestOutcome,
  clientWantsUsage: boolean,
): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (raw.destroyed) return;
      if (chunk.usage !== null) outcome.usage = chunk.usage;
      if (chunk.model !== null) outcome.modelUsed = chunk.model;
      if (chunk.usageOnly && !clientWantsUsage) continue;
      if (outcome.firstChunkAt === null) outcome.firstChunkAt = performance.now();
      if (!raw.write(`data: ${chunk.data}\n\n`)) await once(raw, "drain");
    }
    outcome.upstreamEndedAt = performance.now();
    raw.end("data: [DONE]\n\n");
  } catch (error) {
    outcome.upstreamEndedAt = performance.now();
    if (raw.destroyed) return; // the client left; the close handler records that
    const message = (error as Error).message || "upstream stream failed";
    outcome.errorType = "stream_interrupted";
    outcome.errorMessage = message;
    outcome.statusCode = 502;
    const body = { error: { message, type: "api_error", param: null, code: "stream_interrupted" } };
    raw.end(`data: ${JSON.stringify(body)}\n\n`);
  }
}
