import { hash } from "node:crypto";

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
  for (const k of Object.keys(body)) if (!DELIVERY_FIELDS.has(k)) out[k] = (body as Record<string, unknown>)[k];
  return out;
}

function digest(value: unknown): string {
  // One-shot: no Hash object per key (a semantic lookup hashes the key, the partition and the text).
  return hash("sha256", canonicalJson(value), "hex");
}

/**
 * JSON with object keys sorted at every level and undefined members dropped: equal values, equal text.
 * Built by concatenation (no array per object or array): a lookup canonicalizes the body twice.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      // A hole stays empty, as Array.prototype.join leaves it (JSON never has one).
      if (i in value) out += value[i] === undefined ? "null" : canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const keys = sortedKeys(value);
  let out = "{";
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (out.length > 1) out += ",";
    out += `${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

/**
 * The object's keys in Array.prototype.sort's default order (UTF-16 code units, as `<` compares
 * strings). A few keys are sorted in place by insertion: the built-in sort allocates a work area per
 * call, which made it a third of a semantic lookup's garbage (two canonical bodies, ~16 objects).
 */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    for (; j >= 0 && (keys[j] as string) > key; j--) keys[j + 1] = keys[j] as string;
    keys[j + 1] = key;
  }
  return keys;
}
