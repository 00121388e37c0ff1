import { formatIssues, issueParam } from "@switchyard/events";
import { GatewayError } from "../errors.ts";
import type { HeaderBag } from "../http/portkey-headers.ts";
import type { CompletionResult, Provider, ProviderTarget, StreamChunk } from "../providers/provider.ts";
import type { StreamChunkFacts } from "../telemetry/index.ts";
import type { RequestOutcome } from "./outcome.ts";
import type { Reply } from "./reply.ts";

/**
 * What an endpoint (/v1/chat/completions, /v1/embeddings, /v1/completions, /v1/messages) adds to
 * the one pipeline: how its body is read, which providers offer it, the per-attempt call, and how
 * answers are rendered. Everything else — auth, planning, targets, routing, telemetry, the event —
 * is the pipeline's and the same for every endpoint.
 */
export interface EndpointSpec<Req> {
  endpoint: string;
  /** gen_ai.operation.name for the request span: "chat", "embeddings", "text_completion". */
  operation: string;
  /** Validates the body (a 400 naming the field when it is wrong). */
  parse(body: unknown): Req;
  /** What the event records as the request (model, stream). */
  describe(req: Req): { model: string; stream: boolean; user: string | null };
  /**
   * The request's parameters as the client wrote them, for conditional routing (`params.*`) and the
   * span's gen_ai.request.* attributes. Absent: the parsed request itself.
   */
  params?(req: Req): Record<string, unknown>;
  /** null when the provider offers this endpoint, else why not (checked for every target before any call). */
  unsupported(provider: Provider): string | null;
  /** One upstream attempt with the leaf's override_params already applied. */
  call(provider: Provider, req: Req, target: ProviderTarget, signal: AbortSignal): Promise<Reply>;
  /** Adjusts the prepared targets from the request's headers (e.g. /v1/messages: thinking blocks, anthropic-beta). */
  target?(target: ProviderTarget, headers: HeaderBag): ProviderTarget;
  /** Renders a JSON result (success or upstream error). Default: as the provider shaped it (OpenAI). */
  renderJson?(result: CompletionResult, req: Req): RenderedJson;
  /** Renders a gateway error (default: the OpenAI error body via the global handler). */
  renderError?(error: GatewayError): object;
  /** Encodes the stream for the client. */
  streamEncoder(req: Req): StreamEncoder;
  /**
   * A native credential header (Anthropic's x-api-key): a known gateway key there authenticates
   * the caller; anything else is the provider key when Authorization carries none.
   */
  apiKeyHeader?: string;
}

/**
 * A JSON answer as the client gets it, with the id and finish reasons it carries: handed to
 * telemetry so the request span need not re-read the body (see CompletionResult.responseId).
 */
export type RenderedJson = Pick<CompletionResult, "body" | "responseId" | "finishReasons">;

export interface StreamEncoder {
  /** SSE text for one chunk ("" to send nothing). */
  chunk(chunk: StreamChunk): string;
  /**
   * The chunk's facts as this encoding shows them to the client, for telemetry (the span reports the
   * id and finish reasons the client got, as renderJson does). Absent: the chunk's own.
   */
  facts?(chunk: StreamChunk): StreamChunkFacts;
  /** SSE text that ends a complete stream. */
  end(outcome: RequestOutcome): string;
  /** SSE text that ends a stream the upstream cut. */
  error(message: string): string;
}

/** The OpenAI SSE encoding (chat.completion.chunk / text_completion): `data: …`, `[DONE]`, an error event. */
export function openAIStreamEncoder(clientWantsUsage: boolean): StreamEncoder {
  return {
    chunk: (chunk) => (chunk.usageOnly && !clientWantsUsage ? "" : `data: ${chunk.data}\n\n`),
    end: () => "data: [DONE]\n\n",
    error: (message) =>
      `data: ${JSON.stringify({ error: { message, type: "api_error", param: null, code: "stream_interrupted" } })}\n\n`,
  };
}

/** A body validation failure as a 400 naming the first bad path. */
export function invalidBody(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): GatewayError {
  return new GatewayError("invalid_request", formatIssues(issues, { root: "body" }), issueParam(issues));
}

/** The streaming half of a provider call as a Reply: the opened stream, or the JSON error it answered instead. */
export function streamReply(
  opened:
    | { ok: true; status: number; headers: Record<string, string>; chunks: AsyncIterable<StreamChunk> }
    | {
        ok: false;
        result: CompletionResult;
      },
): Reply {
  if (!opened.ok) return { kind: "json", result: opened.result };
  return { kind: "stream", status: opened.status, headers: opened.headers, chunks: opened.chunks };
}
