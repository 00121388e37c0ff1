import { CustomHostUrl } from "@switchyard/platform";
import { z } from "zod";

/** Milliseconds an embedding call may take by default before the request goes on uncached by meaning. */
export const DEFAULT_EMBEDDING_TIMEOUT_MS = 2_000;

/**
 * `cache.embedding`: semantic mode embeds the prompt through a provider's `/v1/embeddings` instead
 * of the in-process model. Spelled like a config target (Portkey users already write `provider`,
 * `api_key`, `virtual_key`, `custom_host`) plus the embedding `model`; the call goes through the
 * gateway's own provider layer, so any provider with embeddings works with its own wire format.
 * Our extension: Portkey's hosted semantic cache picks its embedding model itself.
 */
export const EmbeddingTargetConfig = z
  .strictObject({
    /** A provider with embeddings (openai, azure-openai, cohere, google, mistral, …); or take it from `virtual_key`. */
    provider: z.string().min(1).max(64).optional(),
    /** A virtual key of the tenant: provider, credential and provider fields from the vault. */
    virtual_key: z.string().min(1).max(128).optional(),
    api_key: z.string().min(1).max(16_384).optional(),
    /** The embedding model, e.g. text-embedding-3-small. */
    model: z.string().min(1).max(200),
    /** Ask the model for this many dimensions (OpenAI's `dimensions`), when it can. */
    dimensions: z.number().int().min(1).max(4_096).optional(),
    custom_host: CustomHostUrl.optional(),
    /** Milliseconds the embedding call may take; past it the request goes on without a semantic lookup. */
    request_timeout: z.number().int().min(1).max(30_000).optional(),
  })
  .superRefine((target, ctx) => {
    if (target.provider === undefined && target.virtual_key === undefined)
      ctx.addIssue({ code: "custom", path: ["provider"], message: "needs provider or virtual_key" });
  });
export type EmbeddingTargetConfig = z.infer<typeof EmbeddingTargetConfig>;
