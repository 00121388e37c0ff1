import {
  type CanonicalMessage,
  type CanonicalRequest,
  type Dialect,
  type DialectResponse,
  emptyMessage,
  type FakeUsageTotals,
  flatText,
  sse,
  words,
} from "../provider-fake.ts";
import { parseResponsesRequest, responsesEvents, responsesJson, storedResponse } from "./openai-responses.ts";

/**
 * OpenAI Chat Completions (and the hosts that copy it: Azure, Mistral, Groq, vLLM, ...):
 * `/chat/completions`, `/embeddings`, `/completions` under any base path (Azure's
 * `/openai/deployments/{id}/...?api-version=` included).
 */
export interface OpenAIDialectOptions {
  /** "asked": usage chunk only with stream_options.include_usage (OpenAI); "always": Mistral, Groq. */
  streamUsage?: "asked" | "always";
  /** Request fields this host refuses with a 422 (Mistral: stream_options). */
  rejectFields?: readonly string[];
  /** Header that must carry the credential: authorization (Bearer) or api-key (Azure). */
  authHeader?: "authorization" | "api-key" | null;
  /** Azure: the path must name a deployment and carry api-version. */
  azure?: boolean;
  /** The host also speaks OpenAI's Responses API (`…/responses`). */
  responses?: boolean;
  /** The host also answers OpenAI's images and audio endpoints. */
  media?: boolean;
}

const TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "invalid_request_error",
  404: "invalid_request_error",
  422: "invalid_request_error",
  429: "rate_limit_error",
};

function usageBlock(u: FakeUsageTotals) {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead },
    completion_tokens_details: { reasoning_tokens: u.reasoning },
  };
}

function parseMessage(m: Record<string, unknown>): CanonicalMessage {
  const role = m.role === "assistant" ? "assistant" : m.role === "tool" ? "tool" : "user";
  const out = emptyMessage(role);
  if (typeof m.content === "string") out.text = m.content;
  else if (Array.isArray(m.content)) {
    for (const part of m.content as Array<Record<string, unknown>>) {
      if (part.type === "text") out.text += String(part.text);
      if (part.type === "image_url") out.images.push(String((part.image_url as { url?: string }).url));
    }
  }
  for (const call of (m.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>) ?? []) {
    out.toolCalls.push({ id: call.id, name: call.function.name, args: JSON.parse(call.function.arguments) });
  }
  if (role === "tool") out.toolResults.push({ id: String(m.tool_call_id), text: flatText(m.content) });
  return out;
}

export function openAIDialect(options: OpenAIDialectOptions = {}): Dialect {
  const authHeader = options.authHeader === undefined ? "authorization" : options.authHeader;
  const error = (status: number, message: string): DialectResponse => ({
    status,
    headers: {
      "content-type": "application/json",
      ...(status === 429 ? { "retry-after": "1", "x-ratelimit-remaining-requests": "0" } : {}),
    },
    body: JSON.stringify({
      error: {
        message,
        type: TYPES[status] ?? "server_error",
        param: null,
        code: status === 404 ? "model_not_found" : null,
      },
    }),
  });
  const base = (model: string) => ({
    id: "chatcmpl-fake-1",
    created: 1_700_000_000,
    model,
    system_fingerprint: "fp_fake",
  });
  return {
    streamContentType: "text/event-stream",
    media: options.media === true,
    ...(options.responses ? { direct: (method: string, url: URL) => storedResponse(method, url, "gpt-4o-mini") } : {}),
    match(method, url, body) {
      if (method !== "POST") return null;
      const model = typeof body.model === "string" ? body.model : "";
      const stream = body.stream === true;
      if (url.pathname.endsWith("/chat/completions")) return { model, stream, kind: "chat" };
      if (options.responses && url.pathname.endsWith("/responses")) return { model, stream, kind: "responses" };
      if (url.pathname.endsWith("/embeddings")) return { model, stream: false, kind: "embeddings" };
      if (url.pathname.endsWith("/completions")) return { model, stream, kind: "completions" };
      return null;
    },
    check(req, url, body) {
      if (authHeader && !req.headers[authHeader]) return error(401, `missing ${authHeader} header`);
      if (options.azure && url.pathname.includes("/openai/responses") && url.searchParams.get("api-version")) {
        return null; // Azure's Responses API sits beside the deployments
      }
      if (options.azure && (!/\/deployments\/[^/]+\//.test(url.pathname) || !url.searchParams.get("api-version"))) {
        return error(404, "Resource not found");
      }
      for (const field of options.rejectFields ?? []) {
        if (field in body) {
          return {
            status: 422,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              object: "error",
              message: `${field}: Extra inputs are not permitted`,
              type: "invalid_request_message_error",
              param: null,
              code: null,
            }),
          };
        }
      }
      return null;
    },
    parse(body, match): CanonicalRequest {
      if (match.kind === "responses") return parseResponsesRequest(body);
      const messages = (body.messages as Array<Record<string, unknown>>) ?? [];
      const system = messages
        .filter((m) => m.role === "system" || m.role === "developer")
        .map((m) => flatText(m.content));
      const format = body.response_format as { type?: string } | undefined;
      return {
        model: String(body.model),
        stream: body.stream === true,
        system: system.length > 0 ? system.join("\n") : null,
        messages: messages.filter((m) => m.role !== "system" && m.role !== "developer").map(parseMessage),
        tools: ((body.tools as Array<{ function: { name: string } }>) ?? []).map((t) => t.function.name),
        jsonMode: format?.type === "json_object" || format?.type === "json_schema",
        maxTokens: (body.max_tokens as number | undefined) ?? null,
        stop: typeof body.stop === "string" ? [body.stop] : ((body.stop as string[] | undefined) ?? []),
      };
    },
    json(plan, match, usage, body) {
      if (match.kind === "responses") return responsesJson(plan, match.model, usage, body);
      const message =
        plan.kind === "text"
          ? { role: "assistant", content: plan.text, refusal: null }
          : {
              role: "assistant",
              content: null,
              tool_calls: [{ id: plan.id, type: "function", function: { name: plan.name, arguments: plan.args } }],
            };
      return {
        ...base(match.model),
        object: "chat.completion",
        choices: [{ index: 0, message, logprobs: null, finish_reason: plan.kind === "text" ? "stop" : "tool_calls" }],
        ...(usage ? { usage: usageBlock(usage) } : {}),
      };
    },
    events(plan, match, usage, body) {
      if (match.kind === "responses") return responsesEvents(plan, match.model, usage, body);
      const b = { ...base(match.model), object: "chat.completion.chunk" };
      const chunk = (delta: object, finish: string | null = null) =>
        sse({ ...b, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
      const events: string[] = [];
      if (match.kind === "completions") {
        for (const w of words("Once upon a time.")) {
          events.push(sse({ ...b, object: "text_completion", choices: [{ index: 0, text: w, finish_reason: null }] }));
        }
        events.push(sse({ ...b, object: "text_completion", choices: [{ index: 0, text: "", finish_reason: "stop" }] }));
      } else if (plan.kind === "text") {
        events.push(chunk({ role: "assistant", content: "" }));
        for (const w of words(plan.text)) events.push(chunk({ content: w }));
        events.push(chunk({}, "stop"));
      } else {
        events.push(
          chunk({
            role: "assistant",
            content: null,
            tool_calls: [{ index: 0, id: plan.id, type: "function", function: { name: plan.name, arguments: "" } }],
          }),
        );
        const half = Math.floor(plan.args.length / 2);
        events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: plan.args.slice(0, half) } }] }));
        events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: plan.args.slice(half) } }] }));
        events.push(chunk({}, "tool_calls"));
      }
      const asked = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
      if (usage && (options.streamUsage === "always" || asked)) {
        events.push(sse({ ...b, choices: [], usage: usageBlock(usage) }));
      }
      events.push("data: [DONE]\n\n");
      return events;
    },
    error,
    embeddings(body) {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return {
        object: "list",
        data: inputs.map((_, index) => ({ object: "embedding", index, embedding: [0.1, 0.2, 0.3] })),
        model: body.model,
        usage: { prompt_tokens: 8, total_tokens: 8 },
      };
    },
    completions(body, match, usage) {
      return {
        id: "cmpl-fake-1",
        object: "text_completion",
        created: 1_700_000_000,
        model: match.model,
        choices: [{ index: 0, text: "Once upon a time.", logprobs: null, finish_reason: "stop" }],
        ...(usage ? { usage: usageBlock(usage) } : {}),
        prompt: body.prompt,
      };
    },
  };
}
