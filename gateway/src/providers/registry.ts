import type { Dispatcher } from "undici";
import { z } from "zod";
import { MockProvider } from "./mock/mock-provider.ts";
import { OpenAIProvider } from "./openai/openai-provider.ts";
import type { Provider } from "./provider.ts";

/** Every provider the gateway speaks, listed exactly once. */
export const ProviderId = z.enum(["openai", "mock"]);
export type ProviderId = z.infer<typeof ProviderId>;

export interface ProviderDeps {
  dispatcher: Dispatcher;
  mockLatencyMs: number;
}

export type ProviderRegistry = Record<ProviderId, Provider>;

export function createProviderRegistry(deps: ProviderDeps): ProviderRegistry {
  return {
    openai: new OpenAIProvider(deps.dispatcher),
    mock: new MockProvider({ latencyMs: deps.mockLatencyMs }),
  };
}
