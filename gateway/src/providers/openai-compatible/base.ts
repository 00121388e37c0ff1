import {
  type ErrorInfo,
  genericErrorInfo,
  type HttpRequestSpec,
  type ParsedResponse,
  type ProviderAdapter,
  parseJson,
} from "../adapter.ts";
import {
  type MediaOffer,
  NO_FINISH_REASONS,
  type ProviderAuth,
  type ProviderCapabilities,
  type ProviderTarget,
  type StreamChunk,
  type TargetIssue,
} from "../provider.ts";
import { sseData } from "../shared/sse.ts";
import { contentText, reported } from "../usage-fill.ts";
import { responsesNative } from "./responses-native.ts";
import { usageFromOpenAI } from "./usage.ts";

/**
 * The OpenAI-compatible base: every host that speaks OpenAI's Chat Completions wire format is
 * this adapter plus a preset (presets.ts): its base URL, how it authenticates, what it can do
 * and its quirks. Bodies pass through byte for byte; usage is read from them.
 */
export interface OpenAICompatiblePreset {
  id: string;
  /** Default base URL (…/v1); a target's custom_host replaces it. */
  baseUrl: string;
  /** `bearer`: Authorization: Bearer <key>. `none`: local servers, a key is sent only if given. */
  auth: "bearer" | "none";
  capabilities: ProviderCapabilities;
  models: readonly string[];
  quirks?: {
    /** Sends stream_options.include_usage (default true). Hosts that reject unknown fields send usage anyway. */
    streamUsage?: boolean;
    /** Request fields the host rejects; removed before sending. */
    dropParams?: readonly string[];
  };
  /** Upstream base path for the target (Azure builds it from its fields). */
  url?: (target: ProviderTarget, path: string, model: string) => string;
  /** Credential headers (Azure: api-key). */
  authHeaders?: (target: ProviderTarget) => Record<string, string>;
  authDescription?: string;
  validateTarget?: (target: ProviderTarget) => TargetIssue | null;
  /** OpenAI's own error bodies go to clients unchanged. */
  passThroughErrors?: boolean;
  /** Speaks OpenAI's Responses API: /v1/responses passes through (responses-native.ts). */
  responses?: boolean;
  /** Where that API lives when not at the base URL + /responses (Azure: beside the deployments). */
  responsesUrl?: (target: ProviderTarget) => string;
  /** OpenAI's images and audio endpoints this host offers (media-calls.ts). */
  media?: MediaOffer;
  /** The host stores responses (`store: true`): GET / DELETE /v1/responses/{id} reach it. */
  responsesStored?: boolean;
  /** The model the Responses body names for this target (Azure: the deployment), when not the client's. */
  responsesModel?: (target: ProviderTarget) => string | undefined;
}

interface OpenAIShape {
  id?: unknown;
  model?: unknown;
  choices?: unknown;
  usage?: unknown;
  error?: unknown;
  x_groq?: { usage?: unknown };
}

/** OpenAI usage plus the hosts' variants: DeepSeek's prompt_cache_hit_tokens, Groq's x_groq.usage. */
export function compatUsage(json: OpenAIShape): ReturnType<typeof usageFromOpenAI> {
  const raw = (json.usage ?? json.x_groq?.usage) as Record<string, unknown> | undefined | null;
  if (!raw) return null;
  const usage = usageFromOpenAI(raw);
  if (usage && usage.cache_read_tokens === 0 && typeof raw.prompt_cache_hit_tokens === "number") {
    usage.cache_read_tokens = Math.min(raw.prompt_cache_hit_tokens, usage.input_tokens);
  }
  return usage;
}

function deltaText(choices: unknown): string {
  if (!Array.isArray(choices)) return "";
  let text = "";
  for (const c of choices as Array<{ delta?: { content?: unknown; tool_calls?: unknown }; text?: unknown }>) {
    if (typeof c.delta?.content === "string") text += c.delta.content;
    if (typeof c.text === "string") text += c.text;
    if (Array.isArray(c.delta?.tool_calls)) {
      for (const t of c.delta.tool_calls as Array<{ function?: { name?: unknown; arguments?: unknown } }>) {
        if (typeof t.function?.name === "string") text += t.function.name;
        if (typeof t.function?.arguments === "string") text += t.function.arguments;
      }
    }
  }
  return text;
}

/** Every choice's finish_reason (chat and text_completion chunks alike); the shared empty list when none ends. */
function chunkFinishReasons(choices: unknown): readonly string[] {
  if (!Array.isArray(choices)) return NO_FINISH_REASONS;
  let reasons: string[] | null = null;
  for (const c of choices as Array<{ finish_reason?: unknown } | null>) {
    if (typeof c?.finish_reason !== "string") continue;
    if (reasons === null) reasons = [c.finish_reason];
    else reasons.push(c.finish_reason);
  }
  return reasons ?? NO_FINISH_REASONS;
}

/**
 * Yields every chunk until `[DONE]`, with the facts read off the JSON parsed here (the route and
 * telemetry never parse it again); a body that ends without it was cut, and that is an error.
 */
export async function* openAIChunks(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamChunk> {
  for await (const data of sseData(body)) {
    if (data === "[DONE]") return;
    let parsed: OpenAIShape;
    try {
      parsed = JSON.parse(data) as OpenAIShape;
    } catch {
      throw new Error("upstream sent a malformed stream chunk");
    }
    if (parsed.error !== undefined && parsed.error !== null) {
      throw new Error(`upstream stream error: ${describeError(parsed.error)}`);
    }
    const usage = compatUsage(parsed);
    const usageOnly = usage !== null && Array.isArray(parsed.choices) && parsed.choices.length === 0;
    const text = deltaText(parsed.choices);
    yield {
      data,
      id: typeof parsed.id === "string" ? parsed.id : null,
      usage,
      model: typeof parsed.model === "string" ? parsed.model : null,
      finishReasons: chunkFinishReasons(parsed.choices),
      usageOnly,
      ...(text ? { text } : {}),
    };
  }
  throw new Error("upstream stream ended before [DONE]");
}

function describeError(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  return String(error);
}

function openAIJson(body: Buffer): OpenAIShape {
  const json = parseJson(body) as OpenAIShape | null;
  if (json === null || typeof json !== "object") throw new Error("upstream body is not JSON");
  return json;
}

/**
 * The body goes on byte for byte; what the gateway needs is read off the JSON parsed once here.
 * The whole body was parsed, so a missing id or finish_reason is known to be absent ("" / []).
 */
function passThrough(body: Buffer, json: OpenAIShape = openAIJson(body)): ParsedResponse {
  const choices = Array.isArray(json.choices) ? (json.choices as Array<{ finish_reason?: unknown } | null>) : [];
  return {
    body,
    usage: compatUsage(json),
    model: typeof json.model === "string" ? json.model : null,
    responseId: typeof json.id === "string" ? json.id : "",
    finishReasons: choices.map((c) => c?.finish_reason).filter((r): r is string => typeof r === "string"),
  };
}

/**
 * A chat answer passed through. Its text is needed only when the host reported no usage (the
 * tokens are then counted locally), and is read then off the same parse.
 */
function chatPassThrough(body: Buffer): ParsedResponse {
  const json = openAIJson(body);
  const parsed = passThrough(body, json);
  return reported(parsed.usage) === null ? { ...parsed, outputText: contentText(json) } : parsed;
}

/** An adapter for an OpenAI-compatible host. */
export function openAICompatible(preset: OpenAICompatiblePreset): ProviderAdapter {
  // Per request: the regex runs only for a URL that actually ends in a slash.
  const base = (target: ProviderTarget) => {
    const root = target.customHost ?? preset.baseUrl;
    return root.endsWith("/") ? root.replace(/\/+$/, "") : root;
  };
  const url = preset.url ?? ((target: ProviderTarget, path: string) => `${base(target)}${path}`);
  // `thinking` is Anthropic's (it reaches here from /v1/messages); no OpenAI-compatible host takes it.
  const drop = ["thinking", ...(preset.quirks?.dropParams ?? [])];
  const streamUsage = preset.quirks?.streamUsage ?? true;
  const headersFor = (target: ProviderTarget): Record<string, string> => {
    // Forwarded client headers first, so they can never replace the gateway's own content-type or credential.
    const headers: Record<string, string> = { ...target.forwardHeaders, "content-type": "application/json" };
    if (preset.authHeaders) Object.assign(headers, preset.authHeaders(target));
    else if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
    const org = target.providerFields.openai_organization;
    const project = target.providerFields.openai_project;
    if (org) headers["openai-organization"] = org;
    if (project) headers["openai-project"] = project;
    return headers;
  };
  const spec = (
    target: ProviderTarget,
    path: string,
    model: string,
    body: Record<string, unknown>,
  ): HttpRequestSpec => {
    for (const param of drop) delete body[param];
    return { url: url(target, path, model), headers: headersFor(target), body: JSON.stringify(body) };
  };
  const withStream = (request: Record<string, unknown>, stream: boolean) => {
    const body: Record<string, unknown> = { ...request, stream };
    if (stream && streamUsage) {
      // Always ask for usage so every stream carries tokens and cost (Portkey OSS never does).
      const options = (request.stream_options as Record<string, unknown> | null | undefined) ?? {};
      body.stream_options = { ...options, include_usage: true };
    } else if (!stream || !streamUsage) {
      delete body.stream_options;
    }
    return body;
  };

  const adapter: ProviderAdapter = {
    upstreamUrl: (target) => url(target, "", ""),
    id: preset.id,
    capabilities: preset.capabilities,
    models: preset.models,
    auth: {
      description:
        preset.authDescription ?? (preset.auth === "bearer" ? "Authorization: Bearer <key>" : "none (optional Bearer)"),
      requiresKey: preset.auth === "bearer",
    },
    validateTarget: (target) => preset.validateTarget?.(target) ?? null,
    passThroughOpenAIErrors: preset.passThroughErrors ?? false,
    error: (status, body): ErrorInfo => genericErrorInfo(status, body),
    chat: {
      // withStream copies the request (spec then edits only that copy).
      request: (call, stream) =>
        spec(call.target, "/chat/completions", call.request.model, withStream(call.request, stream)),
      response: (body) => chatPassThrough(body),
      stream: (body) => openAIChunks(body),
    },
  };
  if (preset.responses) {
    const responsesUrl = (target: ProviderTarget) => preset.responsesUrl?.(target) ?? url(target, "/responses", "");
    // `/{id}…?client-query` under the Responses URL, whose own query (Azure's api-version) is kept.
    const stored = (target: ProviderTarget, path: string) => {
      const [root = "", query] = responsesUrl(target).split("?", 2);
      const [rest = "", clientQuery] = path.split("?", 2);
      const params = [query, clientQuery].filter(Boolean).join("&");
      const { "content-type": _json, ...headers } = headersFor(target);
      return { url: `${root}${rest}${params ? `?${params}` : ""}`, headers };
    };
    adapter.responses = responsesNative(
      (call, body) => {
        const model = preset.responsesModel?.(call.target);
        if (model) body.model = model;
        return {
          url: preset.responsesUrl?.(call.target) ?? url(call.target, "/responses", String(body.model ?? "")),
          headers: headersFor(call.target),
          body: JSON.stringify(body),
        };
      },
      preset.responsesStored ? stored : undefined,
    );
  }
  if (preset.media) {
    adapter.media = {
      offers: preset.media,
      url,
      headers: (target) => {
        const { "content-type": _json, ...headers } = headersFor(target);
        return headers;
      },
    };
  }
  if (preset.capabilities.embeddings) {
    adapter.embeddings = {
      request: (call) => spec(call.target, "/embeddings", call.request.model, { ...call.request }),
      response: (body) => passThrough(body),
    };
  }
  if (preset.capabilities.completions) {
    adapter.completions = {
      request: (call, stream) =>
        spec(call.target, "/completions", call.request.model, withStream(call.request, stream)),
      response: (body) => {
        const json = openAIJson(body);
        const choices = Array.isArray(json.choices) ? (json.choices as Array<{ text?: unknown } | null>) : [];
        const outputText = choices.map((c) => (typeof c?.text === "string" ? c.text : "")).join("");
        return { ...passThrough(body, json), outputText };
      },
      stream: (body) => openAIChunks(body),
    };
  }
  return adapter;
}

export type { ProviderAuth };
