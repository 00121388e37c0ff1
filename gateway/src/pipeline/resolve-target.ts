import { bearerToken } from "@switchyard/platform";
import { GatewayError } from "../errors.ts";
import { type HeaderBag, headerValue, isPlaceholderKey } from "../http/portkey-headers.ts";

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
