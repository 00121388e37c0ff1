import type { ErrorInfo, HttpRequestSpec, ProviderAdapter } from "../adapter.ts";
import { anthropicAdapter, anthropicRequestBody } from "../anthropic/anthropic.ts";
import { anthropicError } from "../anthropic/wire.ts";
import { geminiError, geminiRequestBody, googleAdapter } from "../google/google.ts";
import type { ProviderTarget, TargetIssue, UpstreamCall } from "../provider.ts";
import { parseJson } from "../shared/errors.ts";
import { RequestRejected } from "../shared/rejected.ts";
import { parseServiceAccount, type VertexTokenSource } from "./auth.ts";

/**
 * Google Vertex AI (`vertex-ai`, Portkey's slug): Gemini models through generateContent /
 * streamGenerateContent (Gemini's wire format, google/), and Anthropic's models through rawPredict /
 * streamRawPredict (Anthropic's Messages format with `anthropic_version: vertex-2023-10-16` and the
 * model in the URL, not the body). Regional endpoints (`{region}-aiplatform.googleapis.com`) and
 * `global` (`aiplatform.googleapis.com`); custom_host replaces `https://…/v1`. Auth: a service
 * account (`vertex_service_account_json`, from the config, a virtual key or the
 * x-portkey-vertex-service-account-json header) exchanged for a cached access token (auth.ts), or
 * an access token given directly as the key (Authorization: Bearer / api_key), used as is.
 */
export const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";
export const VERTEX_DEFAULT_REGION = "us-central1";
const SA_FIELD = "vertex_service_account_json";

type Publisher = "google" | "anthropic";

/** Which publisher serves a model: Claude models are Anthropic's, everything else Gemini's. */
export function publisherOf(model: string): { publisher: Publisher; model: string } {
  const bare = model.replace(/^(publishers\/[^/]+\/models\/|models\/)/, "");
  if (bare.startsWith("anthropic.")) return { publisher: "anthropic", model: bare.slice("anthropic.".length) };
  if (bare.startsWith("claude")) return { publisher: "anthropic", model: bare };
  return { publisher: "google", model: bare.replace(/^google\./, "") };
}

const regionOf = (t: ProviderTarget) => t.providerFields.vertex_region || VERTEX_DEFAULT_REGION;

function projectOf(t: ProviderTarget): string | null {
  if (t.providerFields.vertex_project_id) return t.providerFields.vertex_project_id;
  const json = t.providerFields[SA_FIELD];
  if (!json) return null;
  const parsed = parseServiceAccount(json);
  return parsed.ok ? (parsed.account.project_id ?? null) : null;
}

/** `https://{region}-aiplatform.googleapis.com/v1` (or the global host), or the custom host. */
function baseOf(t: ProviderTarget): string {
  if (t.customHost) return t.customHost.replace(/\/+$/, "");
  const region = regionOf(t);
  const host = region === "global" ? "aiplatform.googleapis.com" : `${region}-aiplatform.googleapis.com`;
  return `https://${host}/v1`;
}

function modelUrl(t: ProviderTarget, publisher: Publisher, model: string, verb: string): string {
  const project = encodeURIComponent(projectOf(t) ?? "");
  const region = encodeURIComponent(regionOf(t));
  return `${baseOf(t)}/projects/${project}/locations/${region}/publishers/${publisher}/models/${encodeURIComponent(model)}:${verb}`;
}

/** Anthropic's error shape when the body is one, else Google's. */
function vertexError(status: number, body: Buffer): ErrorInfo {
  const json = parseJson(body) as { type?: unknown } | null;
  return json !== null && json.type === "error" ? anthropicError(status, body) : geminiError(status, body);
}

export function vertexAIAdapter(tokens: VertexTokenSource | null): ProviderAdapter {
  const headers = async (call: UpstreamCall): Promise<Record<string, string>> => {
    const target = call.target;
    const json = target.providerFields[SA_FIELD];
    let bearer: string;
    if (json) {
      if (!tokens)
        throw new RequestRejected("vertex-ai token exchange is not configured", SA_FIELD, "vertex_auth_failed", 401);
      bearer = await tokens.token(json, call.signal);
    } else if (target.apiKey) bearer = target.apiKey;
    else
      throw new RequestRejected(
        "vertex-ai needs a service account or an access token",
        SA_FIELD,
        "vertex_auth_failed",
        401,
      );
    return { ...target.forwardHeaders, "content-type": "application/json", authorization: `Bearer ${bearer}` };
  };

  const request = async (call: UpstreamCall, stream: boolean): Promise<HttpRequestSpec> => {
    const { publisher, model } = publisherOf(call.request.model);
    if (publisher === "anthropic") {
      const { model: _inUrl, ...body } = anthropicRequestBody(call.request, stream);
      return {
        url: modelUrl(call.target, "anthropic", model, stream ? "streamRawPredict" : "rawPredict"),
        headers: await headers(call),
        body: JSON.stringify({ anthropic_version: VERTEX_ANTHROPIC_VERSION, ...body }),
      };
    }
    return {
      url: modelUrl(call.target, "google", model, stream ? "streamGenerateContent?alt=sse" : "generateContent"),
      headers: await headers(call),
      body: JSON.stringify(geminiRequestBody(call.request)),
    };
  };

  return {
    id: "vertex-ai",
    upstreamUrl: (target) => baseOf(target),
    capabilities: { ...googleAdapter.capabilities, embeddings: false },
    auth: {
      description:
        "service account (vertex_service_account_json) → cached OAuth token, or an access token as Bearer; **vertex_project_id**, vertex_region (default us-central1, or global)",
      requiresKey: true,
    },
    models: [
      "gemini-2.5-pro",
      "gemini-2.5-flash",
      "gemini-2.0-flash",
      "claude-sonnet-4-5@20250929",
      "claude-3-5-haiku@20241022",
    ],
    validateTarget(target): TargetIssue | null {
      const json = target.providerFields[SA_FIELD];
      if (json) {
        const parsed = parseServiceAccount(json);
        if (!parsed.ok) return { field: SA_FIELD, message: parsed.why };
      } else if (!target.apiKey) {
        return {
          field: SA_FIELD,
          message: "vertex-ai needs vertex_service_account_json or an access token as the key",
        };
      }
      if (!projectOf(target)) {
        return {
          field: "vertex_project_id",
          message: "vertex-ai needs vertex_project_id (or a service account with project_id)",
        };
      }
      return null;
    },
    error: vertexError,
    chat: {
      request,
      response: (body, call) =>
        publisherOf(call.request.model).publisher === "anthropic"
          ? anthropicAdapter.chat.response(body, call)
          : googleAdapter.chat.response(body, call),
      stream: (body, call) =>
        publisherOf(call.request.model).publisher === "anthropic"
          ? anthropicAdapter.chat.stream(body, call)
          : googleAdapter.chat.stream(body, call),
    },
  };
}
