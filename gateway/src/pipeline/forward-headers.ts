import { type HeaderBag, headerValue } from "../http/portkey-headers.ts";

/**
 * Headers that are never forwarded even when named: hop-by-hop and framing headers (the
 * gateway makes its own request), gateway and provider credentials (the provider sets its own),
 * and Portkey's own control headers.
 */
const NEVER_FORWARD = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-type",
  "upgrade",
  "te",
  "trailer",
  "proxy-authorization",
  "authorization",
  "x-api-key",
  "api-key",
  "cookie",
]);

/** The names in x-portkey-forward-headers (a comma list), lower-cased; a config's forward_headers add to it. */
export function forwardHeaderNames(headers: HeaderBag): string[] {
  const raw = headerValue(headers, "x-portkey-forward-headers");
  if (!raw) return [];
  return raw
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
}

/** Picks exactly the named client headers that may be forwarded; nothing else reaches the upstream. */
export function pickForwardHeaders(headers: HeaderBag, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const lower = name.toLowerCase();
    if (NEVER_FORWARD.has(lower) || lower.startsWith("x-portkey-")) continue;
    const value = headerValue(headers, lower);
    if (value !== undefined) picked[lower] = value;
  }
  return picked;
}
