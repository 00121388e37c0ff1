import type { CompletionResult, StreamChunk } from "../providers/provider.ts";

/**
 * What a provider attempt yields and what the request chain returns: a complete JSON answer (the
 * provider's OpenAI-shaped result, success or upstream error), or an opened stream not yet relayed.
 * The transport renders it in the endpoint's format; stages may replace it or wrap its stream.
 */
export type Reply = JsonReply | StreamReply;

export interface JsonReply {
  kind: "json";
  result: CompletionResult;
}

export interface StreamReply {
  kind: "stream";
  status: number;
  headers: Record<string, string>;
  chunks: AsyncIterable<StreamChunk>;
}

export function jsonReply(result: CompletionResult): JsonReply {
  return { kind: "json", result };
}

/** A stream opened by an attempt the router dropped must release its upstream connection. */
export function discardReply(reply: Reply): void {
  if (reply.kind === "stream") void reply.chunks[Symbol.asyncIterator]().return?.();
}

/**
 * Sees a stream as it is relayed. `chunk` may return a rewritten chunk, or null to drop it; `end`
 * runs once the upstream stream ended completely (before the client's end-of-stream is written);
 * `error` when it failed: the error (or the one `error` returns in its place) still reaches the
 * transport, which ends the SSE with an error event carrying its message.
 */
export interface StreamTransform {
  chunk?(chunk: StreamChunk): StreamChunk | null;
  end?(): void | Promise<void>;
  error?(error: unknown): unknown;
}

/** The same reply with `transform` applied to its stream, lazily, as the transport pulls chunks. */
export function transformStream(reply: StreamReply, transform: StreamTransform): StreamReply {
  return { ...reply, chunks: transformed(reply.chunks, transform) };
}

async function* transformed(
  source: AsyncIterable<StreamChunk>,
  transform: StreamTransform,
): AsyncGenerator<StreamChunk, void, undefined> {
  try {
    for await (const chunk of source) {
      const out = transform.chunk ? transform.chunk(chunk) : chunk;
      if (out !== null) yield out;
    }
  } catch (error) {
    throw transform.error?.(error) ?? error;
  }
  await transform.end?.();
}
