import type { Dispatcher } from "undici";
import type { ProviderAdapter } from "./adapter.ts";
import type { CompletionResult, StoredResponseCall } from "./provider.ts";
import { errorResult, parseJson } from "./shared/errors.ts";
import { targetCredentials } from "./shared/scrub-secrets.ts";
import { passThroughHeaders, postUpstream } from "./upstream-http.ts";

/**
 * GET / DELETE of a response a host stored (`store: true`): the host's answer byte for byte, its
 * errors in the adapter's OpenAI shape. No usage: the response was paid for when it was made.
 */
export function storedResponseCall(adapter: ProviderAdapter, dispatcher: Dispatcher) {
  return async (
    call: StoredResponseCall,
    at: { url: string; headers: Record<string, string> },
  ): Promise<CompletionResult> => {
    const response = await postUpstream({ dispatcher, ...at, body: null, signal: call.signal, method: call.method });
    const headers = passThroughHeaders(response.headers);
    const body = Buffer.from(await response.body.arrayBuffer());
    if (response.statusCode < 200 || response.statusCode > 299) {
      const credentials = targetCredentials(call.target);
      return errorResult(adapter, response.statusCode, headers, body, response.headers, credentials);
    }
    const json = parseJson(body) as { id?: unknown; model?: unknown } | null;
    return {
      status: response.statusCode,
      headers,
      body,
      usage: null,
      model: typeof json?.model === "string" ? json.model : null,
      failure: null,
      responseId: typeof json?.id === "string" ? json.id : "",
      finishReasons: [],
      passThrough: true,
    };
  };
}
