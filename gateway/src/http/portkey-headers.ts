import { bearerToken } from "@switchyard/platform";
import { GatewayError } from "../errors.ts";
import { LIMITS } from "../schemas/limits.ts";

export type HeaderBag = Record<string, string | string[] | undefined>;

export const TRACE_ID_MAX = LIMITS.traceId;

/**
 * Characters each `x-portkey-*` header may carry (docs/LIMITS.md). Node already caps all headers
 * together (16 KiB by default); these give each header its own bound and a 400 naming it, so no
 * one header can fill an event, a span or a log line even where an operator raised that cap.
 */
export const PORTKEY_HEADER_MAX: Readonly<Record<string, number>> = {
  "x-portkey-config": 32_768,
  "x-portkey-metadata": 16_384,
  "x-portkey-trace-id": TRACE_ID_MAX,
  "x-portkey-provider": 64,
  "x-portkey-virtual-key": 128,
  "x-portkey-api-key": 512,
  "x-portkey-custom-host": 2048,
  "x-portkey-forward-headers": 2048,
  "x-portkey-request-timeout": 16,
  // A Vertex service account's JSON (an RSA key in PEM is ~1.7 KB).
  "x-portkey-vertex-service-account-json": 16_384,
  "x-portkey-cache-namespace": 256,
  "x-portkey-cache-force-refresh": 16,
};
/** Any other `x-portkey-*` header (the SDKs send runtime, version, compliance flags). */
export const PORTKEY_HEADER_DEFAULT_MAX = 1024;
const PORTKEY_PREFIX = "x-portkey-";

/** Refuses the first `x-portkey-*` header longer than its bound: a 400 `invalid_header` naming it. */
export function checkPortkeyHeaders(headers: HeaderBag): void {
  for (const name in headers) {
    if (!name.startsWith(PORTKEY_PREFIX)) continue;
    const value = headers[name];
    const max = PORTKEY_HEADER_MAX[name] ?? PORTKEY_HEADER_DEFAULT_MAX;
    const values = Array.isArray(value) ? value : [value];
    for (const one of values) {
      if (one !== undefined && one.length > max) {
        throw new GatewayError(
          "invalid_header",
          `${name} is ${one.length} characters; at most ${max} are allowed`,
          name.length <= 64 ? name : `${name.slice(0, 64)}…`,
        );
      }
    }
  }
}

/** Single value of a header; a repeated header takes its first value. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `x-portkey-trace-id` if sent (trimmed), else undefined so the caller generates one. Never throws: the trace
 * stage runs before authentication and must always answer a trace id. An over-long one is refused later, by
 * checkPortkeyHeaders in parse-request (a 400 naming the header, recorded under the generated id).
 */
export function traceIdFrom(headers: HeaderBag): string | undefined {
  const raw = headerValue(headers, "x-portkey-trace-id")?.trim();
  if (!raw || raw.length > TRACE_ID_MAX) return undefined;
  return raw;
}

/**
 * `x-portkey-metadata`: a JSON object of strings. Numbers and booleans are accepted and
 * stringified (SDK users send them); nested values are refused with the offending key named.
 * Bounded (LIMITS): at most 64 keys of 128 characters, values of at most 128 characters (Portkey's
 * bound), since every pair is stored in each event and may be matched by routing conditions.
 */
export function metadataFrom(headers: HeaderBag): Record<string, string> {
  const raw = headerValue(headers, "x-portkey-metadata");
  if (raw === undefined || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new GatewayError("invalid_header", "x-portkey-metadata must be a JSON object", "x-portkey-metadata");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError("invalid_header", "x-portkey-metadata must be a JSON object", "x-portkey-metadata");
  }
  const entries = Object.entries(parsed);
  if (entries.length > LIMITS.metadataKeys) {
    throw invalidMetadata(`x-portkey-metadata has ${entries.length} keys; at most ${LIMITS.metadataKeys} are allowed`);
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length > LIMITS.metadataKeyLength) {
      throw invalidMetadata(
        `x-portkey-metadata key ${JSON.stringify(`${key.slice(0, 32)}…`)} is ${key.length} characters; at most ${LIMITS.metadataKeyLength} are allowed`,
      );
    }
    let text: string;
    if (typeof value === "string") text = value;
    else if (typeof value === "number" || typeof value === "boolean") text = String(value);
    else if (value === null) continue;
    else throw invalidMetadata(`x-portkey-metadata.${key} must be a string, number or boolean`);
    if (text.length > LIMITS.metadataValueLength) {
      throw invalidMetadata(
        `x-portkey-metadata.${key} is ${text.length} characters; at most ${LIMITS.metadataValueLength} are allowed`,
      );
    }
    metadata[key] = text;
  }
  return metadata;
}

function invalidMetadata(message: string): GatewayError {
  return new GatewayError("invalid_header", message, "x-portkey-metadata");
}

/** Values SDKs put in Authorization when the real credential lives elsewhere: never a provider key. */
const PLACEHOLDER_KEYS = new Set(["DUMMY-KEY", "OPENAI_API_KEY", "PORTKEY_API_KEY", "dummy", "sk-placeholder"]);

export function isPlaceholderKey(value: string): boolean {
  return PLACEHOLDER_KEYS.has(value);
}

/**
 * The provider key from `Authorization`, unless it is the gateway key or an SDK placeholder:
 * those are never forwarded upstream as credentials.
 */
export function providerKeyFrom(headers: HeaderBag, gatewayKey: string | undefined): string | null {
  const bearer = bearerToken(headerValue(headers, "authorization"));
  return bearer && bearer !== gatewayKey && !isPlaceholderKey(bearer) ? bearer : null;
}

/** `x-portkey-custom-host`, checked to be an absolute http(s) URL without embedded credentials. */
export function customHostFrom(headers: HeaderBag): string | undefined {
  const raw = headerValue(headers, "x-portkey-custom-host")?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GatewayError(
      "invalid_custom_host",
      "x-portkey-custom-host must be an absolute URL",
      "x-portkey-custom-host",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new GatewayError(
      "invalid_custom_host",
      "x-portkey-custom-host must use http or https",
      "x-portkey-custom-host",
    );
  }
  if (url.username || url.password) {
    throw new GatewayError(
      "invalid_custom_host",
      "x-portkey-custom-host must not embed credentials",
      "x-portkey-custom-host",
    );
  }
  return raw;
}
