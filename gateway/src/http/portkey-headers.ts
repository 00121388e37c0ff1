import { bearerToken } from "@switchyard/platform";
import { GatewayError } from "../errors.ts";

export type HeaderBag = Record<string, string | string[] | undefined>;

export const TRACE_ID_MAX = 256;

/** Single value of a header; a repeated header takes its first value. */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `x-portkey-trace-id` if sent (trimmed, bounded), else undefined so the caller generates one. */
export function traceIdFrom(headers: HeaderBag): string | undefined {
  const raw = headerValue(headers, "x-portkey-trace-id")?.trim();
  if (!raw) return undefined;
  if (raw.length > TRACE_ID_MAX) {
    throw new GatewayError(
      "invalid_header",
      `x-portkey-trace-id is ${raw.length} characters; at most ${TRACE_ID_MAX} are allowed`,
      "x-portkey-trace-id",
    );
  }
  return raw;
}

/**
 * `x-portkey-metadata`: a JSON object of strings. Numbers and booleans are accepted and
 * stringified (SDK users send them); nested values are refused with the offending key named.
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
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === "string") metadata[key] = value;
    else if (typeof value === "number" || typeof value === "boolean") metadata[key] = String(value);
    else if (value !== null) {
      throw new GatewayError(
        "invalid_header",
        `x-portkey-metadata.${key} must be a string, number or boolean`,
        "x-portkey-metadata",
      );
    }
  }
  return metadata;
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
