import type { Usage } from "@switchyard/events";
import type { ChatCompletionRequest } from "../schemas/chat.ts";

/**
 * The one Provider interface. A provider turns an OpenAI-shaped chat request into its own
 * wire format, calls its upstream, and hands back OpenAI-shaped bytes plus the facts the
 * request event needs (usage, model, error). Each provider lives in its own folder and is
 * listed once in registry.ts.
 */
export interface ProviderTarget {
  /** Provider credential. Never logged, never put in an event, span or error message. */
  apiKey: string | null;
  /** Base URL override (x-portkey-custom-host / config custom_host), e.g. http://host:port/v1. */
  customHost: string | null;
  /** Client headers named by x-portkey-forward-headers / forward_headers, passed to the upstream as-is. */
  forwardHeaders: Record<string, string>;
  /** Provider specifics from the config or the virtual key (azure deployment, aws region, ...). Secrets stay out of logs. */
  providerFields: Record<string, string>;
}

export interface UpstreamCall {
  request: ChatCompletionRequest;
  target: ProviderTarget;
  /** Aborted when the client goes away or the request times out. */
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
  /** OpenAI-shaped JSON (chat.completion or an error body), sent to the client as-is. */
  body: Buffer;
  usage: Usage | null;
  model: string | null;
  failure: UpstreamFailure | null;
}

/** One chat.completion.chunk, already serialized, plus what the gateway learns from it. */
export interface StreamChunk {
  data: string;
  usage: Usage | null;
  model: string | null;
  /** A chunk carrying only usage (empty choices); hidden from clients that did not ask for usage. */
  usageOnly: boolean;
}

export type StreamOpenResult =
  | { ok: true; status: number; headers: Record<string, string>; chunks: AsyncIterable<StreamChunk> }
  | { ok: false; result: CompletionResult };

export interface ProviderCapabilities {
  chat: boolean;
  streaming: boolean;
}

export interface Provider {
  readonly id: string;
  readonly capabilities: ProviderCapabilities;
  complete(call: UpstreamCall): Promise<CompletionResult>;
  /** Opens a stream; an upstream that refuses (non-2xx) yields ok:false with its error. */
  stream(call: UpstreamCall): Promise<StreamOpenResult>;
}
