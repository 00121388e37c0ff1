import { Agent } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import type { ProviderTarget } from "./provider.ts";
import { createProviderRegistry, ProviderId } from "./registry.ts";

const dispatcher = new Agent();
const providers = createProviderRegistry({ dispatcher, mockLatencyMs: 0 });
afterAll(() => dispatcher.close());

const target = (fields: Record<string, string> = {}, customHost: string | null = null): ProviderTarget => ({
  apiKey: "sk-test",
  customHost,
  forwardHeaders: {},
  providerFields: { resource_name: "acme", deployment_id: "gpt4o", aws_region: "eu-west-1", ...fields },
});

describe("upstreamUrl (server.address / server.port of attempt spans)", () => {
  it.each(ProviderId.options.filter((id) => id !== "mock"))("%s names a real host", (id) => {
    const url = new URL(providers[id].upstreamUrl!(target()));
    expect(url.hostname).not.toBe("");
  });
  it("follows the default hosts and a custom host", () => {
    expect(new URL(providers.openai.upstreamUrl!(target())).host).toBe("api.openai.com");
    expect(new URL(providers.bedrock.upstreamUrl!(target())).host).toBe("bedrock-runtime.eu-west-1.amazonaws.com");
    expect(new URL(providers["azure-openai"].upstreamUrl!(target())).host).toBe("acme.openai.azure.com");
    expect(new URL(providers.anthropic.upstreamUrl!(target({}, "http://127.0.0.1:9/v1"))).host).toBe("127.0.0.1:9");
    expect(providers.mock.upstreamUrl).toBeUndefined();
  });
});
