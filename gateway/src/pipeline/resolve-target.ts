import { bearerToken } from "@switchyard/platform";
import { GatewayError } from "../errors.ts";
import { type HeaderBag, headerValue, isPlaceholderKey } from "../http/portkey-headers.ts";
import type { ProviderTarget } from "../providers/provider.ts";
import { ProviderId } from "../providers/registry.ts";

export interface ResolvedTarget {
  providerId: ProviderId;
  target: ProviderTarget;
}

/**
 * Single-target routing from headers: `x-portkey-provider` (default openai), the provider key
 * from Authorization (unless it is the gateway key or an SDK placeholder), and an optional
 * `x-portkey-custom-host` base URL.
 */
export function resolveTarget(headers: HeaderBag, gatewayKey: string | undefined): ResolvedTarget {
  const requested = headerValue(headers, "x-portkey-provider")?.trim() || "openai";
  const parsed = ProviderId.safeParse(requested);
  if (!parsed.success) {
    throw new GatewayError(
      "unknown_provider",
      `unknown provider "${requested}"; supported: ${ProviderId.options.join(", ")}`,
      "x-portkey-provider",
    );
  }
  const bearer = bearerToken(headerValue(headers, "authorization"));
  const apiKey = bearer && bearer !== gatewayKey && !isPlaceholderKey(bearer) ? bearer : null;
  return {
    providerId: parsed.data,
    target: { apiKey, customHost: customHostFrom(headers), forwardHeaders: {}, providerFields: {} },
  };
}

function customHostFrom(headers: HeaderBag): string | null {
  const raw = headerValue(headers, "x-portkey-custom-host")?.trim();
  if (!raw) return null;
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
