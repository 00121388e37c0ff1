import type { KeyStore } from "@switchyard/platform";
import { headerValue } from "../../http/portkey-headers.ts";
import { isPromptEndpoint } from "../../prompts/prompt-endpoint.ts";
import { authenticate, requireScope } from "../authenticate.ts";
import type { RequestStage } from "../stage.ts";

/**
 * Who is calling: the gateway key (x-portkey-api-key, the endpoint's native header, or a bearer
 * that is a known gateway key) → principal; a key without the `completions` scope gets a 403. A
 * 401/403 here is answered before admission: no event.
 * Writes: principal, gatewayKey.
 */
export function authenticateStage(keys: KeyStore): RequestStage {
  return {
    name: "authenticate",
    run(ctx, next) {
      const header = ctx.endpoint.apiKeyHeader;
      const nativeKey = header ? headerValue(ctx.headers, header)?.trim() || undefined : undefined;
      const { principal, gatewayKey } = authenticate(ctx.headers, keys, nativeKey);
      // A model call needs the completions scope; rendering a prompt (no model call) needs prompts.read, checked by render-prompt.
      const rendersOnly = isPromptEndpoint(ctx.endpoint) && ctx.endpoint.promptMode === "render";
      if (!rendersOnly) requireScope(principal, "completions");
      ctx.principal = principal;
      ctx.gatewayKey = gatewayKey;
      return next();
    },
  };
}
