import type { Usage } from "@switchyard/events";
import type {
  CompletionResult,
  EmbeddingsCall,
  MediaOffer,
  NativeMessagesCall,
  ProviderAuth,
  ProviderCapabilities,
  ProviderTarget,
  StreamChunk,
  TargetIssue,
  TextCompletionCall,
  UpstreamCall,
} from "./provider.ts";
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

/**
 * What a provider folder supplies (`ProviderAdapter`: request, response and stream transforms plus
 * error mapping); `HttpProvider` (http-provider.ts) makes a `Provider` of it.
 */

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
  /** Output text, for local token counting: required whenever `usage` reports nothing (null or all zeros). */
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
  /** The Anthropic Messages API spoken natively (/v1/messages passes through): see MessagesTransform. */
  messages?: MessagesTransform;
  /** OpenAI's Responses API spoken natively (/v1/responses passes through); errors use `error` below. */
  responses?: NativeTransform;
  /** OpenAI's images and audio endpoints (media-calls.ts): where they live and how to authenticate. */
  media?: MediaTransform;
  /** Error mapping: the provider's error body (and raw response headers) → OpenAI error fields. */
  error(status: number, body: Buffer, headers?: RawHeaders): ErrorInfo;
  /** OpenAI's own error bodies go to clients byte for byte (no provider prefix). */
  passThroughOpenAIErrors?: boolean;
}

/**
 * A native /v1/messages call: the client's Anthropic Messages body goes upstream as it is, and the
 * upstream's answer comes back unchanged (`CompletionResult.passThrough`, `StreamChunk.passThrough`)
 * with its facts (usage, model, id, finish reasons) read beside it.
 */
export interface MessagesTransform {
  request(call: NativeMessagesCall, stream: boolean): HttpRequestSpec | Promise<HttpRequestSpec>;
  /** The 2xx body's facts; `body` must be the upstream's bytes (a Buffer), relayed as they are. */
  response(body: Buffer, call: NativeMessagesCall): ParsedResponse;
  /** The 2xx stream as chunks whose `passThrough` is each upstream SSE frame; throws if cut. */
  stream(body: AsyncIterable<Uint8Array>, call: NativeMessagesCall): AsyncIterable<StreamChunk>;
  /** The final chunk for a stream that carried no usage: counted locally, sent to nobody. */
  usageChunk(usage: Usage, last: StreamChunk | null): StreamChunk;
  /** A non-2xx answer in the API's own error shape (scrubbed of `credentials`), with its failure facts. */
  error(
    status: number,
    headers: Record<string, string>,
    body: Buffer,
    rawHeaders: RawHeaders,
    credentials: readonly string[],
  ): CompletionResult;
}

/** A native pass-through whose errors are the adapter's OpenAI-shaped ones (/v1/responses). */
export type NativeTransform = Omit<MessagesTransform, "error"> & {
  /** Where a stored response lives (`path`: `/{id}…`), for GET and DELETE; absent: nothing is stored. */
  stored?(target: ProviderTarget, path: string): { url: string; headers: Record<string, string> };
};

/** Where a host's OpenAI media endpoints live: `path` is OpenAI's ("/images/generations", "/audio/speech", …). */
export interface MediaTransform {
  offers: MediaOffer;
  url(target: ProviderTarget, path: string, model: string): string;
  /** The credential headers (no content-type: each call sets its own). */
  headers(target: ProviderTarget): Record<string, string>;
}
