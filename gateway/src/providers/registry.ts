import type { Dispatcher } from "undici";
import { z } from "zod";
import type { ProviderAdapter } from "./adapter.ts";
import { anthropicAdapter } from "./anthropic/anthropic.ts";
import { azureOpenAIAdapter } from "./azure-openai/azure-openai.ts";
import { bedrockAdapter } from "./bedrock/bedrock.ts";
import { cohereAdapter } from "./cohere/cohere.ts";
import { googleAdapter } from "./google/google.ts";
import { HttpProvider } from "./http-provider.ts";
import { MockProvider } from "./mock/mock-provider.ts";
import { openAICompatible } from "./openai-compatible/base.ts";
import { OPENAI_COMPATIBLE_PRESETS } from "./openai-compatible/presets.ts";
import type { Provider } from "./provider.ts";
import { VertexTokenSource } from "./vertex-ai/auth.ts";
import { vertexAIAdapter } from "./vertex-ai/vertex-ai.ts";

/** Every provider the gateway speaks, listed exactly once. */
export const ProviderId = z.enum([
  "openai",
  "azure-openai",
  "anthropic",
  "google",
  "bedrock",
  "mistral",
  "cohere",
  "groq",
  "together",
  "fireworks",
  "deepseek",
  "openrouter",
  "xai",
  "perplexity",
  "ollama",
  "vllm",
  "lmstudio",
  "vertex-ai",
  "mock",
]);
export type ProviderId = z.infer<typeof ProviderId>;

/** Portkey's slugs for the same providers, accepted in headers, configs and virtual keys. */
export const PROVIDER_ALIASES: Readonly<Record<string, ProviderId>> = {
  "together-ai": "together",
  "fireworks-ai": "fireworks",
  "mistral-ai": "mistral",
  "perplexity-ai": "perplexity",
  "x-ai": "xai",
  "lm-studio": "lmstudio",
  gemini: "google",
  "aws-bedrock": "bedrock",
  azure: "azure-openai",
};

/** A provider name (canonical or a Portkey alias) → its id, or null. */
export function providerIdOf(name: string): ProviderId | null {
  const parsed = ProviderId.safeParse(PROVIDER_ALIASES[name] ?? name);
  return parsed.success ? parsed.data : null;
}

export interface ProviderDeps {
  dispatcher: Dispatcher;
  mockLatencyMs: number;
  /** Google's OAuth token endpoint for Vertex service accounts (tests: a fake); default Google's. */
  vertexTokenUrl?: string;
}

export type ProviderRegistry = Record<ProviderId, Provider>;

const P = OPENAI_COMPATIBLE_PRESETS;

/** The adapter behind each HTTP provider; a Record over the enum, so none can be missing or listed twice. */
export const PROVIDER_ADAPTERS: Record<Exclude<ProviderId, "mock">, ProviderAdapter> = {
  openai: openAICompatible(P.openai),
  "azure-openai": azureOpenAIAdapter,
  anthropic: anthropicAdapter,
  google: googleAdapter,
  bedrock: bedrockAdapter,
  mistral: openAICompatible(P.mistral),
  cohere: cohereAdapter,
  groq: openAICompatible(P.groq),
  together: openAICompatible(P.together),
  fireworks: openAICompatible(P.fireworks),
  deepseek: openAICompatible(P.deepseek),
  openrouter: openAICompatible(P.openrouter),
  xai: openAICompatible(P.xai),
  perplexity: openAICompatible(P.perplexity),
  ollama: openAICompatible(P.ollama),
  vllm: openAICompatible(P.vllm),
  lmstudio: openAICompatible(P.lmstudio),
  // Its capabilities and catalogue; the registry's instance gets the token source (createProviderRegistry).
  "vertex-ai": vertexAIAdapter(null),
};

export function createProviderRegistry(deps: ProviderDeps): ProviderRegistry {
  const registry: Partial<ProviderRegistry> = { mock: new MockProvider({ latencyMs: deps.mockLatencyMs }) };
  for (const id of ProviderId.options) {
    if (id !== "mock") registry[id] = new HttpProvider(PROVIDER_ADAPTERS[id], deps.dispatcher);
  }
  // Vertex caches access tokens per service account: one token source per registry.
  const tokens = new VertexTokenSource({
    dispatcher: deps.dispatcher,
    ...(deps.vertexTokenUrl ? { tokenUrl: deps.vertexTokenUrl } : {}),
  });
  registry["vertex-ai"] = new HttpProvider(vertexAIAdapter(tokens), deps.dispatcher);
  return registry as ProviderRegistry;
}
