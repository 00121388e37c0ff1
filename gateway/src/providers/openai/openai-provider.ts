import type { Dispatcher } from "undici";
import { usageFromOpenAI } from "../../usage.ts";
import type {
  CompletionResult,
  Provider,
  StreamChunk,
  StreamOpenResult,
  UpstreamCall,
  UpstreamFailure,
} from "../provider.ts";
import { passThroughHeaders, postUpstream } from "../upstream-http.ts";
import { sseData } from "./sse.ts";

export const OPENAI_BASE_URL = "https://api.openai.com/v1";

interface OpenAIChunkShape {
  model?: unknown;
  choices?: unknown;
  usage?: unknown;
  error?: unknown;
}

/** OpenAI Chat Completions: the wire format is already the gateway's, so bodies pass through byte for byte. */
export class OpenAIProvider implements Provider {
  readonly id = "openai";
  readonly capabilities = { chat: true, streaming: true };
  private readonly dispatcher: Dispatcher;

  constructor(dispatcher: Dispatcher) {
    this.dispatcher = dispatcher;
  }

  private post(call: UpstreamCall, body: object) {
    const base = (call.target.customHost ?? OPENAI_BASE_URL).replace(/\/+$/, "");
    // Forwarded client headers first, so they can never replace the gateway's own content-type or credential.
    const headers: Record<string, string> = { ...call.target.forwardHeaders, "content-type": "application/json" };
    if (call.target.apiKey) headers.authorization = `Bearer ${call.target.apiKey}`;
    return postUpstream({
      dispatcher: this.dispatcher,
      url: `${base}/chat/completions`,
      headers,
      body: JSON.stringify(body),
      signal: call.signal,
    });
  }

  async complete(call: UpstreamCall): Promise<CompletionResult> {
    const response = await this.post(call, { ...call.request, stream: false });
    const body = Buffer.from(await response.body.arrayBuffer());
    return toCompletionResult(response.statusCode, passThroughHeaders(response.headers), body);
  }

  async stream(call: UpstreamCall): Promise<StreamOpenResult> {
    // Always ask for usage so every stream carries tokens and cost (Portkey OSS never does).
    const streamOptions = { ...(call.request.stream_options ?? {}), include_usage: true };
    const response = await this.post(call, { ...call.request, stream: true, stream_options: streamOptions });
    const headers = passThroughHeaders(response.headers);
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const body = Buffer.from(await response.body.arrayBuffer());
      return { ok: false, result: toCompletionResult(response.statusCode, headers, body) };
    }
    return { ok: true, status: response.statusCode, headers, chunks: openAIChunks(response.body) };
  }
}

/** Yields every chunk until `[DONE]`; a body that ends without it was cut, and that is an error. */
async function* openAIChunks(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamChunk> {
  for await (const data of sseData(body)) {
    if (data === "[DONE]") return;
    let parsed: OpenAIChunkShape;
    try {
      parsed = JSON.parse(data) as OpenAIChunkShape;
    } catch {
      throw new Error("upstream sent a malformed stream chunk");
    }
    if (parsed.error !== undefined) throw new Error(`upstream stream error: ${describeError(parsed.error)}`);
    const usage = parsed.usage ? usageFromOpenAI(parsed.usage) : null;
    const usageOnly = usage !== null && Array.isArray(parsed.choices) && parsed.choices.length === 0;
    yield { data, usage, model: typeof parsed.model === "string" ? parsed.model : null, usageOnly };
  }
  throw new Error("upstream stream ended before [DONE]");
}

function describeError(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  return String(error);
}

export function toCompletionResult(status: number, headers: Record<string, string>, body: Buffer): CompletionResult {
  let json: OpenAIChunkShape | null = null;
  try {
    json = JSON.parse(body.toString("utf8")) as OpenAIChunkShape;
  } catch {
    json = null;
  }
  const ok = status >= 200 && status < 300;
  if (ok && json !== null) {
    return {
      status,
      headers,
      body,
      usage: json.usage ? usageFromOpenAI(json.usage) : null,
      model: typeof json.model === "string" ? json.model : null,
      failure: null,
    };
  }
  const failure = upstreamFailure(status, json);
  // Re-shape anything that is not already an OpenAI error body, so clients always get one.
  const errorBody =
    json !== null && typeof json.error === "object" && json.error !== null
      ? body
      : Buffer.from(
          JSON.stringify({ error: { message: failure.message, type: failure.type, param: null, code: null } }),
        );
  return { status: ok ? 502 : status, headers, body: errorBody, usage: null, model: null, failure };
}

function upstreamFailure(status: number, json: OpenAIChunkShape | null): UpstreamFailure {
  const error = json?.error;
  if (typeof error === "object" && error !== null) {
    const e = error as { type?: unknown; message?: unknown; code?: unknown };
    return {
      type: typeof e.type === "string" ? e.type : typeof e.code === "string" ? e.code : `upstream_${status}`,
      message: typeof e.message === "string" ? e.message : `upstream returned ${status}`,
    };
  }
  if (status >= 200 && status < 300) return { type: "invalid_upstream_response", message: "upstream body is not JSON" };
  return { type: `upstream_${status}`, message: `upstream returned ${status}` };
}
