import type { RequestEvent, Usage } from "@switchyard/events";
import {
  buildTestGateway,
  createGatewayTelemetry,
  FakeGoogleTokenServer,
  ProviderId,
  RecordingTelemetry,
  type RequestEnd,
  type StreamChunkFacts,
} from "@switchyard/gateway/testing";
import type { Attributes } from "@switchyard/platform";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { anthropicDialect } from "../fakes/dialects/anthropic.ts";
import { bedrockDialect, FAKE_AWS } from "../fakes/dialects/bedrock.ts";
import { cohereDialect } from "../fakes/dialects/cohere.ts";
import { googleDialect } from "../fakes/dialects/google.ts";
import { type OpenAIDialectOptions, openAIDialect } from "../fakes/dialects/openai.ts";
import { ProviderFake } from "../fakes/provider-fake.ts";
import { VERTEX_SETUP, vertexServiceAccount } from "./vertex-setup.ts";

export { vertexServiceAccount };

/**
 * The conformance suite's table: for every provider in the registry (the zod enum) how to point
 * it at a fake speaking its wire format, which model to ask for and what usage its block maps
 * to. A Record over the enum, so a provider added to the registry without a setup fails typecheck.
 * `mock` is the in-process provider with no upstream; its own tests live in gateway/src.
 */
export type HttpProviderId = Exclude<ProviderId, "mock">;

export interface ProviderSetup {
  id: HttpProviderId;
  makeFake: () => ProviderFake;
  model: string;
  /** The config target pointing at the fake (credentials and provider fields included). */
  leaf: (baseUrl: string) => Record<string, unknown>;
  /** genai-prices knows the model, so cost must be > 0. */
  priced: boolean;
  /** The event usage the fake's usage block maps to. */
  usage: Partial<Usage>;
  /** Required provider fields: dropping one must give a 400 naming it before any upstream call. */
  requiredFields?: string[];
}

const compat = (
  id: HttpProviderId,
  model: string,
  options: OpenAIDialectOptions & { prefix?: string; priced?: boolean } = {},
): ProviderSetup => ({
  id,
  makeFake: () => new ProviderFake(id, openAIDialect(options), options.prefix ?? "/v1"),
  model,
  leaf: (baseUrl) => ({
    provider: id,
    custom_host: baseUrl,
    ...(options.authHeader === null ? {} : { api_key: `sk-test-${id}` }),
  }),
  priced: options.priced ?? true,
  usage: { input_tokens: 42, output_tokens: 17, cache_read_tokens: 10, cache_write_tokens: 0, reasoning_tokens: 3 },
});

const local = { authHeader: null, priced: false } as const;

export const SETUPS: Record<HttpProviderId, ProviderSetup> = {
  openai: compat("openai", "gpt-4o-mini", { responses: true, media: true }),
  "azure-openai": {
    ...compat("azure-openai", "gpt-4o-mini", {
      authHeader: "api-key",
      azure: true,
      prefix: "/openai",
      responses: true,
      media: true,
    }),
    leaf: (baseUrl) => ({
      provider: "azure-openai",
      api_key: "azure-test-key",
      custom_host: baseUrl,
      deployment_id: "dep-1",
      api_version: "2024-10-21",
    }),
    requiredFields: ["deployment_id"],
  },
  anthropic: {
    id: "anthropic",
    makeFake: () => new ProviderFake("anthropic", anthropicDialect(), "/v1"),
    model: "claude-3-5-haiku-latest",
    leaf: (baseUrl) => ({ provider: "anthropic", api_key: "sk-ant-test", custom_host: baseUrl }),
    priced: true,
    usage: { input_tokens: 42, output_tokens: 17, cache_read_tokens: 10, cache_write_tokens: 4, reasoning_tokens: 0 },
  },
  google: {
    id: "google",
    makeFake: () => new ProviderFake("google", googleDialect(), "/v1beta"),
    model: "gemini-2.0-flash",
    leaf: (baseUrl) => ({ provider: "google", api_key: "goog-test", custom_host: baseUrl }),
    priced: true,
    usage: { input_tokens: 42, output_tokens: 17, cache_read_tokens: 10, cache_write_tokens: 0, reasoning_tokens: 3 },
  },
  bedrock: {
    id: "bedrock",
    makeFake: () => new ProviderFake("bedrock", bedrockDialect(), ""),
    model: "anthropic.claude-3-haiku-20240307-v1:0",
    leaf: (baseUrl) => ({
      provider: "bedrock",
      custom_host: baseUrl,
      aws_region: FAKE_AWS.region,
      aws_access_key_id: FAKE_AWS.accessKeyId,
      aws_secret_access_key: FAKE_AWS.secretAccessKey,
    }),
    priced: true,
    usage: { input_tokens: 42, output_tokens: 17, cache_read_tokens: 10, cache_write_tokens: 4, reasoning_tokens: 0 },
    requiredFields: ["aws_region"],
  },
  mistral: compat("mistral", "mistral-small-latest", { streamUsage: "always", rejectFields: ["stream_options"] }),
  cohere: {
    id: "cohere",
    makeFake: () => new ProviderFake("cohere", cohereDialect(), "/v2"),
    model: "command-r-plus-08-2024",
    leaf: (baseUrl) => ({ provider: "cohere", api_key: "co-test", custom_host: baseUrl }),
    priced: true,
    usage: { input_tokens: 42, output_tokens: 17, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 },
  },
  groq: compat("groq", "llama-3.3-70b-versatile", { streamUsage: "always", responses: true, media: true }),
  together: compat("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", { media: true }),
  fireworks: compat("fireworks", "accounts/fireworks/models/llama-v3p1-8b-instruct"),
  deepseek: compat("deepseek", "deepseek-chat"),
  openrouter: compat("openrouter", "openai/gpt-4o-mini"),
  xai: compat("xai", "grok-3", { responses: true, media: true }),
  perplexity: compat("perplexity", "sonar", { prefix: "" }),
  ollama: compat("ollama", "llama3.2", local),
  vllm: compat("vllm", "meta-llama/Llama-3.1-8B-Instruct-local", local),
  lmstudio: compat("lmstudio", "qwen2.5-7b-instruct-local", local),
  "vertex-ai": VERTEX_SETUP,
};

export const HTTP_PROVIDERS: HttpProviderId[] = ProviderId.options.filter((id): id is HttpProviderId => id !== "mock");

/**
 * A gateway plus one fake per provider, started and stopped together. `tracing`: spans are made
 * (kept in memory), so a file can check what a request's span says and what a stream's chunks
 * told telemetry (handed over only while the span records).
 */
export async function startConformanceStack(options: { tracing?: boolean; maxUploadBytes?: number } = {}) {
  const mem = options.tracing ? inMemoryTelemetry({ tracing: true }) : null;
  const telemetry = new RecordingTelemetry(mem ? createGatewayTelemetry(mem.telemetry) : undefined);
  const tokens = new FakeGoogleTokenServer().trust(vertexServiceAccount());
  const gw = buildTestGateway({
    telemetry,
    vertexTokenUrl: await tokens.start(),
    ...(options.maxUploadBytes ? { maxUploadBytes: options.maxUploadBytes } : {}),
  });
  const fakes = new Map<HttpProviderId, ProviderFake>();
  for (const id of HTTP_PROVIDERS) {
    const fake = SETUPS[id].makeFake();
    await fake.start();
    fakes.set(id, fake);
  }
  const base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
  const stack = {
    gw,
    base,
    /** Google's token endpoint as the Vertex service account sees it. */
    tokens,
    fake: (id: HttpProviderId) => fakes.get(id)!,
    reset() {
      for (const fake of fakes.values()) fake.reset();
      gw.sink.events.length = 0;
      telemetry.ends.length = 0;
      telemetry.chunks.length = 0;
      mem?.reset();
    },
    headers(id: HttpProviderId, leafExtra: Record<string, unknown> = {}, extra: Record<string, string> = {}) {
      const leaf = { ...SETUPS[id].leaf(fakes.get(id)!.baseUrl), ...leafExtra };
      for (const [k, v] of Object.entries(leaf)) if (v === undefined) delete leaf[k];
      return { "content-type": "application/json", "x-portkey-config": JSON.stringify(leaf), ...extra };
    },
    post(
      path: string,
      id: HttpProviderId,
      body: object,
      init: { leaf?: Record<string, unknown>; headers?: Record<string, string>; signal?: AbortSignal } = {},
    ) {
      return fetch(`${base}${path}`, {
        method: "POST",
        headers: stack.headers(id, init.leaf, init.headers),
        body: JSON.stringify(body),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    },
    async event(): Promise<RequestEvent> {
      const events = await gw.sink.waitFor(1);
      return events[events.length - 1]!;
    },
    /** What the route handed telemetry at the last request's end (recorded just before its event). */
    async requestEnd(): Promise<RequestEnd> {
      await gw.sink.waitFor(1);
      return telemetry.ends[telemetry.ends.length - 1]!;
    },
    /** The stream chunks' facts the route handed telemetry since the last reset (tracing only). */
    streamed(): StreamChunkFacts[] {
      return telemetry.chunks;
    },
    /** The attributes of the last request's span (tracing only; ended just before its event). */
    async requestSpan(): Promise<Attributes> {
      if (!mem) throw new Error("startConformanceStack({ tracing: true }) to see spans");
      await gw.sink.waitFor(1);
      // The request span is the root: conformance requests carry no traceparent.
      const roots = mem.spans().filter((s) => s.parentSpanContext === undefined);
      return roots[roots.length - 1]?.attributes ?? {};
    },
    async close() {
      await gw.close();
      for (const fake of fakes.values()) await fake.stop();
      await tokens.stop();
    },
  };
  return stack;
}

export type ConformanceStack = Awaited<ReturnType<typeof startConformanceStack>>;

/** Reads an SSE body: the parsed data events, and whether it ended with [DONE]. */
export async function readSse(
  res: Response,
): Promise<{ events: Array<Record<string, unknown>>; done: boolean; raw: string }> {
  const raw = await res.text();
  const events: Array<Record<string, unknown>> = [];
  let done = false;
  for (const block of raw.split("\n\n")) {
    const data = block
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => l.slice(6))
      .join("\n");
    if (!data) continue;
    if (data === "[DONE]") done = true;
    else events.push(JSON.parse(data) as Record<string, unknown>);
  }
  return { events, done, raw };
}

/** Stream chunks folded into text, tool calls and the finish reason. */
export function foldChunks(events: Array<Record<string, unknown>>) {
  let text = "";
  let finish: string | null = null;
  const tools: Array<{ id: string; name: string; arguments: string }> = [];
  for (const e of events) {
    for (const c of (e.choices as Array<{ delta: Record<string, unknown>; finish_reason: string | null }>) ?? []) {
      if (typeof c.delta.content === "string") text += c.delta.content;
      for (const t of (c.delta.tool_calls as Array<{
        index: number;
        id?: string;
        function?: { name?: string; arguments?: string };
      }>) ?? []) {
        tools[t.index] ??= { id: "", name: "", arguments: "" };
        const slot = tools[t.index]!;
        if (t.id) slot.id = t.id;
        if (t.function?.name) slot.name += t.function.name;
        if (t.function?.arguments) slot.arguments += t.function.arguments;
      }
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  return { text, finish, tools };
}

/**
 * Stream chunk facts that disagree with their own JSON (`[]` when every id and finish-reason list
 * is exactly what the chunk's `data` says): telemetry takes the facts as given, never parsing.
 */
export function factsDisagreeingWithData(chunks: readonly StreamChunkFacts[]): string[] {
  const wrong: string[] = [];
  for (const chunk of chunks) {
    const json = JSON.parse(chunk.data) as { id?: unknown; choices?: Array<{ finish_reason?: unknown }> };
    const reasons = (json.choices ?? []).map((c) => c.finish_reason).filter((r) => typeof r === "string");
    const id = typeof json.id === "string" ? json.id : null;
    if (chunk.id !== id || JSON.stringify(chunk.finishReasons) !== JSON.stringify(reasons)) {
      wrong.push(`id ${chunk.id} / ${JSON.stringify(chunk.finishReasons)} for ${chunk.data}`);
    }
  }
  return wrong;
}

export const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    },
  },
};

/** A 1×1 transparent PNG. */
export const PNG_DATA_URL =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
