import { createHash } from "node:crypto";

/**
 * What makes two requests the same answer. The key covers the tenant (never shared across tenants),
 * the partition (the namespace, or without one the metadata, as Portkey partitions), the endpoint,
 * the resolved provider, model, custom host and provider fields, and the full canonical body — every
 * parameter except `stream`/`stream_options`, so a JSON request and a streamed one share an answer.
 * Only the SHA-256 of it is kept (and recorded in the event): never the content.
 */
export interface KeyParts {
  tenant: string;
  namespace: string | null;
  metadata: Readonly<Record<string, string>>;
  endpoint: string;
  provider: string;
  model: string;
  customHost: string | null;
  providerFields: Readonly<Record<string, string>>;
  /** The request as the attempt sends it (the client's format: the Anthropic body on /v1/messages). */
  body: unknown;
}

/** Request fields that change how the answer is delivered, not what it is. */
const DELIVERY_FIELDS = new Set(["stream", "stream_options"]);

export function cacheKey(parts: KeyParts): string {
  return digest(identity(parts, withoutDelivery(parts.body)));
}

/**
 * The semantic partition: everything of the key except the embedded text, so a semantic match is
 * only ever found among requests whose other parameters, model, system prompt and earlier turns are
 * exactly the same. `rest` is the body with the embedded message's text taken out (semantic-query.ts);
 * `embedding` the embedding target's vector space (null: the local model).
 */
export function semanticPartition(parts: KeyParts, rest: unknown, embedding: string | null = null): string {
  // An embedding target's vectors live apart from the local model's (and from another model's).
  return digest({ ...identity(parts, withoutDelivery(rest)), semantic: 1, embedding: embedding ?? undefined });
}

function identity(parts: KeyParts, body: unknown): object {
  return {
    v: 1,
    tenant: parts.tenant,
    partition: parts.namespace === null ? { metadata: parts.metadata } : { namespace: parts.namespace },
    endpoint: parts.endpoint,
    provider: parts.provider,
    model: parts.model,
    customHost: parts.customHost,
    providerFields: parts.providerFields,
    body,
  };
}

function withoutDelivery(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!DELIVERY_FIELDS.has(k)) out[k] = v;
  return out;
}

function digest(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/** JSON with object keys sorted at every level and undefined members dropped: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const keys = Object.keys(value).sort();
  const members: string[] = [];
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) members.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${members.join(",")}}`;
}
