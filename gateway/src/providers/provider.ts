import type { Usage } from "@switchyard/events";
import type { ChatCompletionRequest } from "../schemas/chat.ts";

/**
 * The one Provider interface. A provider turns an OpenAI-shaped request into its own wire
 * format, calls its upstream, and hands back OpenAI-shaped bytes plus the facts the request
 * event and span need (usage, model, error, response id, finish reasons). Each provider lives
 * in its own folder and is listed once in registry.ts. Most providers are built from a
 * `ProviderAdapter` (adapter.ts: request transform, response transform, stream transform, error
 * mapping) by `HttpProvider` (http-provider.ts). A provider whose upstream speaks a client-facing
 * API itself (Anthropic's Messages) may also offer it natively: `messages` / `messagesStream`.
 */
export interface ProviderTarget {
  /** Provider credential. Never logged, never put in an event, span or error message. */
  apiKey: string | null;
  /** Base URL override (x-portkey-custom-host / config custom_host), e.g. http://host:port/v1. */
  customHost: string | null;
  /** Client headers named by x-portkey-forward-headers / forward_headers, passed to the upstream as-is. */
  forwardHeaders: Record<string, string>;
  /**
   * Provider specifics from the config or the virtual key (azure deployment, aws region, ...), and
   * the virtual key's non-api_key secrets (aws keys). Secrets stay out of logs.
   */
  providerFields: Record<string, string>;
  /**
   * `x-portkey-strict-open-ai-compliance: false` — the client accepts fields OpenAI does not send
   * (reasoning_content, content_blocks with thinking). Absent = strict.
   */
  strictOpenAICompliance?: boolean;
}

export interface UpstreamCall {
  request: ChatCompletionRequest;
  target: ProviderTarget;
  /** Aborted when the client goes away or the request times out. */
  signal: AbortSignal;
}

/** An OpenAI /v1/embeddings request (validated loosely; unknown fields pass through). */
export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: "float" | "base64";
  dimensions?: number;
  user?: string;
  [key: string]: unknown;
}

export interface EmbeddingsCall {
  request: EmbeddingsRequest;
  target: ProviderTarget;
  signal: AbortSignal;
}

/** An OpenAI legacy /v1/completions request. */
export interface TextCompletionRequest {
  model: string;
  prompt: string | string[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  [key: string]: unknown;
}

export interface TextCompletionCall {
  request: TextCompletionRequest;
  target: ProviderTarget;
  signal: AbortSignal;
}

/**
 * A native /v1/messages call: the client's Anthropic Messages body (the leaf's override_params
 * applied), sent upstream as it is.
 */
export interface NativeMessagesCall {
  body: Record<string, unknown>;
  target: ProviderTarget;
  signal: AbortSignal;
}

/** An OpenAI JSON media request (/v1/images/generations, /v1/audio/speech), passed through as validated. */
export interface MediaCall {
  body: Record<string, unknown>;
  target: ProviderTarget;
  signal: AbortSignal;
}

/** An uploaded file on local disk (never held in memory), re-readable for retries and fallbacks. */
export interface UploadedFile {
  path: string;
  filename: string;
  mimeType: string;
  size: number;
}

/** /v1/audio/transcriptions and /translations: the form's fields and its file, streamed upstream. */
export interface UploadCall {
  kind: "transcriptions" | "translations";
  fields: Record<string, string>;
  file: UploadedFile;
  target: ProviderTarget;
  signal: AbortSignal;
}

/** Which media endpoints a provider offers (OpenAI's paths). */
export interface MediaOffer {
  images: boolean;
  speech: boolean;
  transcriptions: boolean;
}

/** GET or DELETE of a response the host stored (`store: true`), or GET of its input items. */
export interface StoredResponseCall {
  method: "GET" | "DELETE";
  /** The path under the host's /responses: `/{id}` or `/{id}/input_items`, with the client's query. */
  path: string;
  target: ProviderTarget;
  signal: AbortSignal;
}

/** Facts an upstream error carries, for the event and the OpenAI-style error body. */
export interface UpstreamFailure {
  type: string;
  message: string;
}

export interface CompletionResult {
  status: number;
  /** Response headers to pass through to the client (rate limits, retry-after). */
  headers: Record<string, string>;
  /** OpenAI-shaped JSON (chat.completion, list of embeddings, or an error body), sent to the client as-is. */
  body: Buffer;
  usage: Usage | null;
  model: string | null;
  failure: UpstreamFailure | null;
  /**
   * The response's id (chat.completion `id`), handed to telemetry so it need not re-read `body`
   * for gen_ai.response.id. `""` when the response is known to have none (an embeddings list, a
   * parsed body without one); null when not known (failures), and telemetry may then read `body`.
   */
  responseId: string | null;
  /**
   * Each choice's finish_reason in OpenAI's terms (a `passThrough` body: the upstream's own, e.g.
   * Anthropic's stop_reason); `[]` when known to have none, null as for `responseId`.
   */
  finishReasons: string[] | null;
  /** The body's media type when not JSON (transcripts as text/srt/vtt, speech audio). */
  contentType?: string;
  /**
   * A body relayed as it arrives instead of `body` (speech audio): never held whole in memory.
   * The transport sends it after the event is sealed; `body` is then empty.
   */
  bodyStream?: AsyncIterable<Uint8Array>;
  /** Seconds of audio the upstream billed (a transcription), priced per second where the catalogue does. */
  audioSeconds?: number;
  /**
   * True when `body` is the upstream's own answer in the client's API format (a native call, e.g.
   * /v1/messages to Anthropic), success or error: the endpoint sends it byte for byte instead of
   * converting an OpenAI body. The facts above are still filled (usage, model, id, failure).
   */
  passThrough?: boolean;
}

/**
 * One chat.completion.chunk (or text_completion chunk), already serialized, plus what the gateway
 * learns from it. The facts are filled by whoever built or parsed `data`, so nothing downstream
 * (telemetry) has to parse it again.
 */
export interface StreamChunk {
  data: string;
  /** The chunk's `id`; null when it carries none. */
  id: string | null;
  usage: Usage | null;
  model: string | null;
  /**
   * The `finish_reason` of every choice in this chunk that has one, in choice order; usually empty
   * (`NO_FINISH_REASONS`). A list because an OpenAI-compatible upstream streams all `n` choices
   * through one stream and one chunk may end several; the gateway's own builders have one choice.
   */
  finishReasons: readonly string[];
  /** A chunk carrying only usage (empty choices); hidden from clients that did not ask for usage. */
  usageOnly: boolean;
  /** Output text (content, tool arguments) this chunk adds, for local token counting when usage is missing. */
  text?: string;
  /**
   * Set on a native call's chunks (/v1/messages to Anthropic): the upstream's SSE frame exactly as
   * received, which the endpoint's encoder writes byte for byte (`""`: send nothing, e.g. an
   * estimated usage chunk). `data` then holds the event's JSON, not a chat.completion.chunk, and
   * `finishReasons` the upstream's own stop reasons (Anthropic's terms).
   */
  passThrough?: string;
}

/** The finish reasons of a chunk that ends no choice: shared, so the common chunk allocates no array. */
export const NO_FINISH_REASONS: readonly string[] = Object.freeze([]);

export type StreamOpenResult =
  | { ok: true; status: number; headers: Record<string, string>; chunks: AsyncIterable<StreamChunk> }
  | { ok: false; result: CompletionResult };

/** What a provider can do; the conformance suite and the endpoints honour these flags. */
export interface ProviderCapabilities {
  chat: boolean;
  streaming: boolean;
  /** Function/tool calling, incl. tool results sent back and tool calls streamed. */
  tools: boolean;
  /** Image parts in user messages. */
  vision: boolean;
  /** Images given by http(s) URL; when false only `data:` URLs (base64) are accepted. */
  image_urls: boolean;
  /** response_format json_object / json_schema. */
  json_mode: boolean;
  /** /v1/embeddings. */
  embeddings: boolean;
  /** Legacy /v1/completions. */
  completions: boolean;
}

/** A required provider field a target lacks (Azure deployment, Bedrock region, ...). */
export interface TargetIssue {
  /** The field's Portkey name, e.g. "deployment_id". */
  field: string;
  message: string;
}

/** How a provider authenticates, for the README table and /v1/models. */
export interface ProviderAuth {
  /** Human description, e.g. "Authorization: Bearer <key>". */
  description: string;
  /** A credential is required (local servers need none). */
  requiresKey: boolean;
}

export interface Provider {
  readonly id: string;
  readonly capabilities: ProviderCapabilities;
  readonly auth: ProviderAuth;
  /** A URL on the real upstream (server.address/server.port in spans); absent for in-process providers. */
  upstreamUrl?(target: ProviderTarget): string;
  /** Checked for every target before any upstream call; an issue becomes a 400 naming the field. */
  validateTarget(target: ProviderTarget): TargetIssue | null;
  complete(call: UpstreamCall): Promise<CompletionResult>;
  /** Opens a stream; an upstream that refuses (non-2xx) yields ok:false with its error. */
  stream(call: UpstreamCall): Promise<StreamOpenResult>;
  /** /v1/embeddings, when capabilities.embeddings. */
  embed?(call: EmbeddingsCall): Promise<CompletionResult>;
  /** Legacy /v1/completions, when capabilities.completions. */
  completeText?(call: TextCompletionCall): Promise<CompletionResult>;
  streamText?(call: TextCompletionCall): Promise<StreamOpenResult>;
  /**
   * The Anthropic Messages API, natively (no OpenAI round trip): /v1/messages uses it when present.
   * The answer is marked `passThrough`; an upstream error is in Anthropic's shape, scrubbed.
   */
  messages?(call: NativeMessagesCall): Promise<CompletionResult>;
  messagesStream?(call: NativeMessagesCall): Promise<StreamOpenResult>;
  /**
   * OpenAI's Responses API, natively: /v1/responses passes the client's body through when present
   * (every other provider goes through the chat adapter). The answer is marked `passThrough`.
   */
  responses?(call: NativeMessagesCall): Promise<CompletionResult>;
  responsesStream?(call: NativeMessagesCall): Promise<StreamOpenResult>;
  /** A stored response (GET / DELETE /v1/responses/{id}, …/input_items) on a host that stores them. */
  storedResponse?(call: StoredResponseCall): Promise<CompletionResult>;
  /** Images and audio (OpenAI's media API) where `media` says the provider offers them. */
  readonly media?: MediaOffer;
  images?(call: MediaCall): Promise<CompletionResult>;
  /** Speech: the audio is relayed as it arrives (`bodyStream`). */
  speech?(call: MediaCall): Promise<CompletionResult>;
  transcribe?(call: UploadCall): Promise<CompletionResult>;
  /** Well-known chat model ids for /v1/models (a catalogue, not a live upstream listing). */
  readonly models: readonly string[];
}

export const NO_CAPABILITIES: ProviderCapabilities = {
  chat: false,
  streaming: false,
  tools: false,
  vision: false,
  image_urls: false,
  json_mode: false,
  embeddings: false,
  completions: false,
};
