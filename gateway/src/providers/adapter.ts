import type { Usage } from "@switchyard/events";
import type { Dispatcher } from "undici";
import {
  type CompletionResult,
  type EmbeddingsCall,
  NO_FINISH_REASONS,
  type Provider,
  type ProviderAuth,
  type ProviderCapabilities,
  type ProviderTarget,
  type StreamChunk,
  type StreamOpenResult,
  type TargetIssue,
  type TextCompletionCall,
  type UpstreamCall,
} from "./provider.ts";
import { checkCapabilities } from "./shared/capabilities.ts";
import {
  defaultErrorType,
  type ErrorInfo,
  errorResult,
  genericErrorInfo,
  parseJson,
  type RawHeaders,
  rejectedResult,
} from "./shared/errors.ts";
import { RequestRejected } from "./shared/rejected.ts";
import { targetCredentials } from "./shared/scrub-secrets.ts";
import { estimateChatUsage, estimateTextUsage } from "./shared/tokens.ts";
import { openAIUsageBlock } from "./shared/usage.ts";
import { passThroughHeaders, postUpstream } from "./upstream-http.ts";

/** One upstream HTTP request, fully built (URL, headers incl. credential or signature, body). */
export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A provider response turned into the gateway's OpenAI shape. */
export interface ParsedResponse {
  /** OpenAI-shaped body (an object to serialize, or bytes to pass through unchanged). */
  body: object | Buffer;
  usage: Usage | null;
  model: string | null;
  /** Output text, for local token counting when `usage` is null. */
  outputText?: string;
  /** The response's id, as `CompletionResult.responseId` documents it. */
  responseId: string | null;
  /** Every choice's finish reason, as `CompletionResult.finishReasons` documents it. */
  finishReasons: string[] | null;
}

export {
  defaultErrorType,
  type ErrorInfo,
  errorResult,
  genericErrorInfo,
  parseJson,
  type RawHeaders,
  RequestRejected,
  rejectedResult,
};

export interface ChatTransform {
  /** Request transform: OpenAI chat request → the provider's HTTP request. May throw RequestRejected. */
  request(call: UpstreamCall, stream: boolean): HttpRequestSpec | Promise<HttpRequestSpec>;
  /** Response transform: the provider's 2xx body → chat.completion. */
  response(body: Buffer, call: UpstreamCall): ParsedResponse;
  /** Stream transform: the provider's 2xx stream body → chat.completion.chunk events; throws if cut. */
  stream(body: AsyncIterable<Uint8Array>, call: UpstreamCall): AsyncIterable<StreamChunk>;
}

export interface EmbeddingsTransform {
  request(call: EmbeddingsCall): HttpRequestSpec | Promise<HttpRequestSpec>;
  response(body: Buffer, call: EmbeddingsCall): ParsedResponse;
}

export interface CompletionsTransform {
  request(call: TextCompletionCall, stream: boolean): HttpRequestSpec | Promise<HttpRequestSpec>;
  response(body: Buffer, call: TextCompletionCall): ParsedResponse;
  stream(body: AsyncIterable<Uint8Array>, call: TextCompletionCall): AsyncIterable<StreamChunk>;
}

/** What one provider folder supplies; `HttpProvider` turns it into a `Provider`. */
export interface ProviderAdapter {
  id: string;
  /** A URL on the upstream this target reaches: its host and port name the real server in spans. */
  upstreamUrl(target: ProviderTarget): string;
  capabilities: ProviderCapabilities;
  auth: ProviderAuth;
  models: readonly string[];
  validateTarget(target: ProviderTarget): TargetIssue | null;
  chat: ChatTransform;
  embeddings?: EmbeddingsTransform;
  completions?: CompletionsTransform;
  /** Error mapping: the provider's error body (and raw response headers) → OpenAI error fields. */
  error(status: number, body: Buffer, headers?: RawHeaders): ErrorInfo;
  /** OpenAI's own error bodies go to clients byte for byte (no provider prefix). */
  passThroughOpenAIErrors?: boolean;
}

const OK = (status: number) => status >= 200 && status < 300;

function contentText(raw: object | Buffer): string {
  const body = Buffer.isBuffer(raw) ? parseJson(raw) : raw;
  if (typeof body !== "object" || body === null) return "";
  const choices = (body as { choices?: Array<{ message?: { content?: unknown; tool_calls?: unknown } }> }).choices;
  if (!Array.isArray(choices)) return "";
  return choices
    .map((c) => {
      const content = typeof c.message?.content === "string" ? c.message.content : "";
      return c.message?.tool_calls ? content + JSON.stringify(c.message.tool_calls) : content;
    })
    .join("");
}

/** A Provider over HTTP from an adapter: the same call, error, estimate and rejection handling for all. */
export class HttpProvider implements Provider {
  readonly id: string;
  readonly capabilities: ProviderCapabilities;
  readonly auth: ProviderAuth;
  readonly models: readonly string[];
  readonly upstreamUrl: (target: ProviderTarget) => string;
  private readonly adapter: ProviderAdapter;
  private readonly dispatcher: Dispatcher;

  constructor(adapter: ProviderAdapter, dispatcher: Dispatcher) {
    this.adapter = adapter;
    this.dispatcher = dispatcher;
    this.id = adapter.id;
    this.capabilities = adapter.capabilities;
    this.auth = adapter.auth;
    this.models = adapter.models;
    this.upstreamUrl = (target) => adapter.upstreamUrl(target);
    const embeddings = adapter.embeddings;
    if (embeddings)
      this.embed = (call) =>
        this.json(
          call,
          () => embeddings.request(call),
          (b) => embeddings.response(b, call),
          (r) => estimateTextUsage(inputText(call.request.input), r.outputText ?? ""),
        );
    const completions = adapter.completions;
    if (completions) {
      const estimate = (call: TextCompletionCall) => (output: string) =>
        estimateTextUsage(inputText(call.request.prompt), output);
      this.completeText = (call) =>
        this.json(
          call,
          () => completions.request(call, false),
          (b) => completions.response(b, call),
          (r) => estimate(call)(r.outputText ?? ""),
        );
      this.streamText = (call) =>
        this.open(
          call,
          () => completions.request(call, true),
          (b) => completions.stream(b, call),
          estimate(call),
        );
    }
  }

  embed?: Provider["embed"];
  completeText?: Provider["completeText"];
  streamText?: Provider["streamText"];

  validateTarget(target: ProviderTarget): TargetIssue | null {
    return this.adapter.validateTarget(target);
  }

  complete(call: UpstreamCall): Promise<CompletionResult> {
    return this.json(
      call,
      () => this.chatRequest(call, false),
      (body) => this.adapter.chat.response(body, call),
      (parsed) => estimateChatUsage(call.request, parsed.outputText ?? contentText(parsed.body)),
    );
  }

  stream(call: UpstreamCall): Promise<StreamOpenResult> {
    return this.open(
      call,
      () => this.chatRequest(call, true),
      (body) => this.adapter.chat.stream(body, call),
      (output) => estimateChatUsage(call.request, output),
    );
  }

  /** What the request needs that the provider lacks is refused first; then the adapter builds it. */
  private chatRequest(call: UpstreamCall, stream: boolean): HttpRequestSpec | Promise<HttpRequestSpec> {
    checkCapabilities(this.id, this.capabilities, call.request);
    return this.adapter.chat.request(call, stream);
  }

  private async json(
    call: { signal: AbortSignal; target: ProviderTarget },
    build: () => HttpRequestSpec | Promise<HttpRequestSpec>,
    transform: (body: Buffer) => ParsedResponse,
    estimate: (parsed: ParsedResponse) => Promise<Usage>,
  ): Promise<CompletionResult> {
    let spec: HttpRequestSpec;
    try {
      spec = await build();
    } catch (error) {
      if (error instanceof RequestRejected) return rejectedResult(this.id, error);
      throw error;
    }
    const response = await postUpstream({ dispatcher: this.dispatcher, ...spec, signal: call.signal });
    const headers = passThroughHeaders(response.headers);
    const body = Buffer.from(await response.body.arrayBuffer());
    if (!OK(response.statusCode)) {
      return errorResult(
        this.adapter,
        response.statusCode,
        headers,
        body,
        response.headers,
        targetCredentials(call.target),
      );
    }
    let parsed: ParsedResponse;
    try {
      parsed = transform(body);
    } catch (error) {
      const info = {
        message: `unreadable upstream response: ${(error as Error).message}`,
        type: "invalid_upstream_response",
      };
      const rendered = {
        error: { ...info, message: `${this.id} error: ${info.message}`, param: null, code: null },
        provider: this.id,
      };
      return {
        status: 502,
        headers,
        body: Buffer.from(JSON.stringify(rendered)),
        usage: null,
        model: null,
        failure: info,
        responseId: null,
        finishReasons: null,
      };
    }
    const usage = reported(parsed.usage) ?? (await estimate(parsed));
    const out = Buffer.isBuffer(parsed.body)
      ? parsed.body
      : Buffer.from(JSON.stringify(withUsageBlock(parsed.body, usage)));
    return {
      status: response.statusCode,
      headers,
      body: out,
      usage,
      model: parsed.model,
      failure: null,
      responseId: parsed.responseId,
      finishReasons: parsed.finishReasons,
    };
  }

  private async open(
    call: { signal: AbortSignal; target: ProviderTarget },
    build: () => HttpRequestSpec | Promise<HttpRequestSpec>,
    transform: (body: AsyncIterable<Uint8Array>) => AsyncIterable<StreamChunk>,
    estimate: (output: string) => Promise<Usage>,
  ): Promise<StreamOpenResult> {
    let spec: HttpRequestSpec;
    try {
      spec = await build();
    } catch (error) {
      if (error instanceof RequestRejected) return { ok: false, result: rejectedResult(this.id, error) };
      throw error;
    }
    const response = await postUpstream({ dispatcher: this.dispatcher, ...spec, signal: call.signal });
    const headers = passThroughHeaders(response.headers);
    if (!OK(response.statusCode)) {
      const body = Buffer.from(await response.body.arrayBuffer());
      return {
        ok: false,
        result: errorResult(
          this.adapter,
          response.statusCode,
          headers,
          body,
          response.headers,
          targetCredentials(call.target),
        ),
      };
    }
    return { ok: true, status: response.statusCode, headers, chunks: withUsage(transform(response.body), estimate) };
  }
}

/**
 * Passes chunks through as they come; a stream that ended cleanly without any usage gets a final
 * usage-only chunk counted locally (estimated). A cut stream throws through untouched.
 */
export async function* withUsage(
  chunks: AsyncIterable<StreamChunk>,
  estimate: (output: string) => Promise<Usage>,
): AsyncGenerator<StreamChunk> {
  let sawUsage = false;
  let output = "";
  let last: StreamChunk | null = null;
  for await (const chunk of chunks) {
    if (reported(chunk.usage) !== null) sawUsage = true;
    else if (chunk.text) output += chunk.text;
    last = chunk;
    yield chunk;
  }
  if (sawUsage) return;
  const usage = await estimate(output);
  // Once per stream, and only for one without usage: `object` and `created` are not among a chunk's facts.
  const base = last ? (parseJson(last.data) as Record<string, unknown> | null) : null;
  const id = last?.id ?? "chatcmpl-estimated";
  const data = JSON.stringify({
    id,
    object: base?.object ?? "chat.completion.chunk",
    created: base?.created ?? Math.floor(Date.now() / 1000),
    model: base?.model ?? last?.model ?? "",
    choices: [],
    usage: {
      prompt_tokens: usage.input_tokens,
      completion_tokens: usage.output_tokens,
      total_tokens: usage.input_tokens + usage.output_tokens,
    },
  });
  yield { data, id, usage, model: last?.model ?? null, finishReasons: NO_FINISH_REASONS, usageOnly: true };
}

/** A body the gateway built shows the usage the event records (an estimate when the provider gave none). */
function withUsageBlock(body: object, usage: Usage): object {
  const b = body as { object?: unknown; usage?: unknown };
  if (!usage.estimated || b.usage === undefined) return body;
  if (b.object === "list")
    return { ...b, usage: { prompt_tokens: usage.input_tokens, total_tokens: usage.input_tokens } };
  return { ...b, usage: openAIUsageBlock(usage) };
}

/** A usage block of all zeros says nothing: it is counted locally like a missing one. */
function reported(usage: Usage | null): Usage | null {
  return usage !== null && (usage.input_tokens > 0 || usage.output_tokens > 0) ? usage : null;
}

function inputText(input: unknown): string {
  if (typeof input === "string") return input;
  if (Array.isArray(input)) return input.map((i) => (typeof i === "string" ? i : "")).join("\n");
  return "";
}
