import {
  type CanonicalMessage,
  type Dialect,
  type DialectResponse,
  emptyMessage,
  type FakeUsageTotals,
  flatText,
  sse,
  words,
} from "../provider-fake.ts";

/** Anthropic Messages API: POST /v1/messages, x-api-key + anthropic-version, named SSE events. */
const TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  529: "overloaded_error",
};

/** Anthropic's input_tokens excludes cache reads and writes. */
function usageBlock(u: FakeUsageTotals) {
  return {
    input_tokens: u.input - u.cacheRead - u.cacheWrite,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    output_tokens: u.output,
  };
}

function parseMessage(m: { role: string; content: unknown }): CanonicalMessage {
  const out = emptyMessage(m.role === "assistant" ? "assistant" : "user");
  const blocks =
    typeof m.content === "string" ? [{ type: "text", text: m.content }] : (m.content as Array<Record<string, unknown>>);
  for (const block of blocks) {
    if (block.type === "text") out.text += String(block.text);
    if (block.type === "image") {
      const source = block.source as { type: string; media_type?: string; data?: string; url?: string };
      out.images.push(
        source.type === "base64" ? `data:${source.media_type};base64,${source.data}` : String(source.url),
      );
    }
    if (block.type === "tool_use")
      out.toolCalls.push({ id: String(block.id), name: String(block.name), args: block.input });
    if (block.type === "tool_result") {
      out.role = "tool";
      out.toolResults.push({ id: String(block.tool_use_id), text: flatText(block.content) });
    }
  }
  return out;
}

/**
 * A document block with citations enabled (only the native /v1/messages path can send one): the
 * answer's text then cites it, as Anthropic does (`citations` on the block; a `citations_delta` in
 * the stream). Our OpenAI conversion has no place for citations, so they prove a pass-through.
 */
function citation(body: Record<string, unknown>): Record<string, unknown> | null {
  const messages = (body.messages as Array<{ content?: unknown }> | undefined) ?? [];
  for (const m of messages) {
    if (!Array.isArray(m.content)) continue;
    for (const block of m.content as Array<Record<string, unknown>>) {
      const enabled = (block.citations as { enabled?: unknown } | undefined)?.enabled === true;
      if (block.type !== "document" || !enabled) continue;
      const text = String((block.source as { data?: unknown } | undefined)?.data ?? "");
      return {
        type: "char_location",
        cited_text: text,
        document_index: 0,
        document_title: block.title ?? null,
        start_char_index: 0,
        end_char_index: text.length,
      };
    }
  }
  return null;
}

export const THOUGHT = "Let me think about this.";
export const SIGNATURE = "sig-fake-123";

export function anthropicDialect(): Dialect {
  const error = (status: number, message: string): DialectResponse => ({
    status,
    headers: {
      "content-type": "application/json",
      ...(status === 429 ? { "retry-after": "1", "anthropic-ratelimit-requests-remaining": "0" } : {}),
    },
    body: JSON.stringify({ type: "error", error: { type: TYPES[status] ?? "api_error", message } }),
  });
  const content = (plan: Parameters<Dialect["json"]>[0], body: Record<string, unknown>) => {
    if (plan.kind !== "text")
      return [{ type: "tool_use", id: "toolu_fake_1", name: plan.name, input: JSON.parse(plan.args) }];
    const cited = citation(body);
    return [{ type: "text", text: plan.text, ...(cited ? { citations: [cited] } : {}) }];
  };
  return {
    streamContentType: "text/event-stream",
    match(method, url, body) {
      if (method !== "POST" || !url.pathname.endsWith("/messages")) return null;
      return { model: String(body.model ?? ""), stream: body.stream === true, kind: "chat" };
    },
    check(req, _url, body) {
      if (!req.headers["x-api-key"]) return error(401, "x-api-key header is required");
      if (!req.headers["anthropic-version"]) return error(400, "anthropic-version header is required");
      if (typeof body.max_tokens !== "number") return error(400, "max_tokens: Field required");
      const messages = (body.messages as Array<{ role: string }>) ?? [];
      const bad = messages.findIndex((m) => m.role !== "user" && m.role !== "assistant");
      if (bad >= 0) return error(400, `messages.${bad}.role: Input should be 'user' or 'assistant'`);
      if (messages[0]?.role !== "user") return error(400, "messages: first message must use the user role");
      return null;
    },
    parse(body) {
      const system = body.system;
      return {
        model: String(body.model),
        stream: body.stream === true,
        system: system === undefined ? null : flatText(system),
        messages: ((body.messages as Array<{ role: string; content: unknown }>) ?? []).map(parseMessage),
        tools: ((body.tools as Array<{ name: string }>) ?? []).map((t) => t.name),
        jsonMode: typeof system === "string" && system.includes("JSON"),
        maxTokens: body.max_tokens as number,
        stop: (body.stop_sequences as string[] | undefined) ?? [],
      };
    },
    json(plan, match, usage, body) {
      return {
        id: "msg_fake_1",
        type: "message",
        role: "assistant",
        model: match.model,
        content: [
          ...(body.thinking ? [{ type: "thinking", thinking: THOUGHT, signature: SIGNATURE }] : []),
          ...content(plan, body),
        ],
        stop_reason: plan.kind === "text" ? "end_turn" : "tool_use",
        stop_sequence: null,
        usage: usage ? usageBlock(usage) : { input_tokens: 0, output_tokens: 0 },
      };
    },
    events(plan, match, usage, body) {
      const u = usage ? usageBlock(usage) : { input_tokens: 0, output_tokens: 0 };
      // With extended thinking, a thinking block (thinking_delta, signature_delta) comes first at index 0.
      const at = body.thinking ? 1 : 0;
      const events = [
        sse(
          {
            type: "message_start",
            message: {
              id: "msg_fake_1",
              type: "message",
              role: "assistant",
              model: match.model,
              content: [],
              stop_reason: null,
              usage: { ...u, output_tokens: 1 },
            },
          },
          "message_start",
        ),
      ];
      if (body.thinking) {
        const block = (data: object, name: string) => events.push(sse({ index: 0, ...data }, name));
        block(
          { type: "content_block_start", content_block: { type: "thinking", thinking: "", signature: "" } },
          "content_block_start",
        );
        block(
          { type: "content_block_delta", delta: { type: "thinking_delta", thinking: THOUGHT } },
          "content_block_delta",
        );
        block(
          { type: "content_block_delta", delta: { type: "signature_delta", signature: SIGNATURE } },
          "content_block_delta",
        );
        block({ type: "content_block_stop" }, "content_block_stop");
      }
      if (plan.kind === "text") {
        events.push(
          sse(
            { type: "content_block_start", index: at, content_block: { type: "text", text: "" } },
            "content_block_start",
          ),
        );
        events.push(sse({ type: "ping" }, "ping"));
        for (const w of words(plan.text)) {
          events.push(
            sse(
              { type: "content_block_delta", index: at, delta: { type: "text_delta", text: w } },
              "content_block_delta",
            ),
          );
        }
        const cited = citation(body);
        if (cited) {
          events.push(
            sse(
              { type: "content_block_delta", index: at, delta: { type: "citations_delta", citation: cited } },
              "content_block_delta",
            ),
          );
        }
      } else {
        events.push(
          sse(
            {
              type: "content_block_start",
              index: at,
              content_block: { type: "tool_use", id: "toolu_fake_1", name: plan.name, input: {} },
            },
            "content_block_start",
          ),
        );
        const half = Math.floor(plan.args.length / 2);
        for (const piece of [plan.args.slice(0, half), plan.args.slice(half)]) {
          events.push(
            sse(
              { type: "content_block_delta", index: at, delta: { type: "input_json_delta", partial_json: piece } },
              "content_block_delta",
            ),
          );
        }
      }
      events.push(sse({ type: "content_block_stop", index: at }, "content_block_stop"));
      events.push(
        sse(
          {
            type: "message_delta",
            delta: { stop_reason: plan.kind === "text" ? "end_turn" : "tool_use", stop_sequence: null },
            usage: { output_tokens: u.output_tokens },
          },
          "message_delta",
        ),
      );
      events.push(sse({ type: "message_stop" }, "message_stop"));
      return events;
    },
    error,
  };
}
