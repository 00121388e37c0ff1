import type { VirtualKeyLookup } from "@switchyard/platform";
import { Agent } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { createCustomHostGuard } from "../pipeline/custom-host-guard.ts";
import { createProviderRegistry } from "../providers/registry.ts";
import { firstEmbedding, resolveEmbeddingTarget } from "./embedding-target.ts";
import { createSemanticIndex } from "./semantic-index.ts";

const dispatcher = new Agent({ connections: 2 });
afterAll(() => dispatcher.close());
const providers = createProviderRegistry({ dispatcher, mockLatencyMs: 0 });
const customHosts = createCustomHostGuard({ allowLoopback: false, allowList: [] });
const vault = (lookup: VirtualKeyLookup) => ({ virtualKey: () => lookup });
const credentials = { reveal: (field: string) => (field === "api_key" ? "sk-vault" : undefined) };

describe("embedding target resolution", () => {
  it("a virtual key gives provider and credential; the vector space never names the credential", async () => {
    const lookup = {
      status: "ok",
      id: "vk1",
      tenantId: "t",
      provider: "openai",
      credentials,
      fields: {},
      version: 1,
    } as unknown as VirtualKeyLookup;
    const viaKey = await resolveEmbeddingTarget({ virtual_key: "vk1", model: "text-embedding-3-small" }, "t", {
      providers,
      control: vault(lookup),
      customHosts,
    });
    const direct = await resolveEmbeddingTarget(
      { provider: "openai", api_key: "sk-other", model: "text-embedding-3-small" },
      "t",
      { providers, control: vault(lookup), customHosts },
    );
    // Same provider, host and model: the same vector space whichever credential pays for it.
    expect(viaKey.id).toBe(direct.id);
    expect(viaKey.id).not.toContain("sk-");
    const other = await resolveEmbeddingTarget(
      { provider: "openai", api_key: "k", model: "text-embedding-3-small", dimensions: 256 },
      "t",
      { providers, control: vault(lookup), customHosts },
    );
    expect(other.id).not.toBe(direct.id);
  });

  it("refuses a custom host on a private address (the SSRF guard), naming cache.embedding.custom_host", async () => {
    const refused = resolveEmbeddingTarget(
      { provider: "openai", api_key: "k", model: "m", custom_host: "http://169.254.169.254/v1" },
      "t",
      { providers, control: vault({ status: "unknown" } as unknown as VirtualKeyLookup), customHosts },
    );
    await expect(refused).rejects.toMatchObject({ param: "cache.embedding.custom_host" });
  });
});

describe("embedding answers", () => {
  it("takes the first embedding, unit length; anything unusable is null", () => {
    const v = firstEmbedding(Buffer.from(JSON.stringify({ data: [{ embedding: [3, 4] }, { embedding: [1, 0] }] })));
    expect(Array.from(v ?? [])).toEqual([0.6000000238418579, 0.800000011920929]);
    for (const body of ["not json", "{}", '{"data":[{"embedding":"AAAA"}]}', '{"data":[{"embedding":[0,0]}]}'])
      expect(firstEmbedding(Buffer.from(body)), body).toBeNull();
  });
});

describe("semantic index with vectors of several lengths", () => {
  it("keeps each partition's length; a vector of another length finds nothing there", async () => {
    const index = await createSemanticIndex({ dimensions: 4, maxPartitions: 10, maxPerPartition: 10, maxVectors: 4 });
    const unit = (xs: number[]) => Float32Array.from(xs, (x) => x / Math.hypot(...xs));
    index.add({ partition: "a", key: "a1", vector: unit([1, 0, 0, 0]), expiresAt: Date.now() + 60_000 });
    index.add({ partition: "b", key: "b1", vector: unit([1, 0, 0, 0, 0, 0, 0, 0]), expiresAt: Date.now() + 60_000 });
    expect(index.nearest("a", unit([1, 0.1, 0, 0]), 0.9)?.key).toBe("a1");
    expect(index.nearest("b", unit([1, 0.1, 0, 0, 0, 0, 0, 0]), 0.9)?.key).toBe("b1");
    expect(index.nearest("a", unit([1, 0, 0, 0, 0, 0, 0, 0]), 0.9)).toBeNull();
    // The bound is 4 × 4 floats: another 8-float vector makes room by dropping the least recent partition's.
    index.add({ partition: "b", key: "b2", vector: unit([0, 1, 0, 0, 0, 0, 0, 0]), expiresAt: Date.now() + 60_000 });
    expect(index.size()).toBe(2);
    expect(index.nearest("a", unit([1, 0, 0, 0]), 0.9)).toBeNull();
    expect(index.nearest("b", unit([1, 0, 0, 0, 0, 0, 0, 0]), 0.9)?.key).toBe("b1");
  });
});
