import { type EndpointSpec, openAIStreamEncoder, streamReply } from "../pipeline/endpoint.ts";
import { jsonReply } from "../pipeline/reply.ts";
import type { ChatCompletionRequest } from "../schemas/chat.ts";
import { type PromptCall, parsePromptCall } from "./prompt-call.ts";
import { parseDraftCall } from "./prompt-draft.ts";

/**
 * `POST /v1/prompts/{id}/completions` and `/render` as pipeline endpoints. They are the chat
 * endpoint (same providers, call, stream encoding) whose body is a prompt call: the transport
 * hands the pipeline a `PromptEnvelope` (the id from the URL plus the body), parse checks the
 * body and answers a placeholder request, and the render-prompt stage (right after
 * parse-request) replaces it with the rendered chat request — so every later stage (routing,
 * cache, guardrails, limits) sees an ordinary chat request.
 */
export type PromptMode = "completions" | "render" | "draft";

export interface PromptEnvelope {
  /** The URL's `id[@version|@label]`; null for a draft (the version is in the body: prompt-draft.ts). */
  promptRef: string | null;
  body: unknown;
}

export interface PromptEndpointSpec extends EndpointSpec<ChatCompletionRequest> {
  readonly promptMode: PromptMode;
}

export function isPromptEndpoint(
  endpoint: EndpointSpec<unknown>,
): endpoint is EndpointSpec<unknown> & PromptEndpointSpec {
  return "promptMode" in endpoint;
}

export function envelopeOf(raw: unknown): PromptEnvelope {
  const envelope = raw as Partial<PromptEnvelope> | null;
  if (typeof envelope?.promptRef !== "string" && envelope?.promptRef !== null)
    throw new Error("prompt endpoint: the transport must pass a PromptEnvelope");
  return { promptRef: envelope.promptRef, body: envelope.body };
}

/**
 * Once rendered, a prompt call is a chat call (as routes/chat-completions.ts makes it; not imported
 * from there, which would make the pipeline depend on a route).
 */
const asChat: Omit<EndpointSpec<ChatCompletionRequest>, "endpoint" | "parse"> = {
  operation: "chat",
  describe: (req) => ({ model: req.model, stream: req.stream === true, user: req.user ?? null }),
  unsupported: (provider) =>
    provider.capabilities.chat ? null : `provider ${provider.id} does not offer chat completions`,
  async call(provider, request, target, signal) {
    const call = { request, target, signal };
    if (request.stream !== true) return jsonReply(await provider.complete(call));
    return streamReply(await provider.stream(call));
  },
  streamEncoder: (req) => openAIStreamEncoder(req.stream_options?.include_usage === true),
};

/** The call parse() read, by the placeholder request it returned (so render-prompt does not parse it again). */
const parsedCalls = new WeakMap<object, PromptCall>();

/** The prompt call behind a placeholder request (parsing the raw body again if it is not one). */
export function promptCallOf(request: unknown, rawBody: unknown): PromptCall {
  return (
    (typeof request === "object" && request !== null ? parsedCalls.get(request) : undefined) ??
    parseCall(envelopeOf(rawBody))
  );
}

function parseCall(envelope: PromptEnvelope): PromptCall {
  return envelope.promptRef === null ? parseDraftCall(envelope.body) : parsePromptCall(envelope.body);
}

function promptEndpoint(mode: PromptMode, endpoint: string): PromptEndpointSpec {
  return {
    ...asChat,
    endpoint,
    promptMode: mode,
    parse(raw) {
      const call = parseCall(envelopeOf(raw));
      // Rendered by the render-prompt stage; until then only `stream` is known.
      const placeholder = { model: "", messages: [], stream: call.stream === true } as unknown as ChatCompletionRequest;
      parsedCalls.set(placeholder, call);
      return placeholder;
    },
  };
}

export const promptCompletionsEndpoint = promptEndpoint("completions", "/v1/prompts/{id}/completions");
export const promptRenderEndpoint = promptEndpoint("render", "/v1/prompts/{id}/render");
/** An unsaved version run like `/completions` (prompt-draft.ts); its envelope's promptRef is null. */
export const promptDraftEndpoint = promptEndpoint("draft", "/v1/prompts/completions");
