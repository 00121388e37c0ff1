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

/** Cohere v2: POST /v2/chat (SSE with typed events), /v2/embed, Bearer auth, `{message}` errors. */
function usageBlock(u: FakeUsageTotals) {
  return {
    billed_units: { input_tokens: u.input, output_tokens: u.output },
    tokens: { input_tokens: u.input + 60, output_tokens: u.output },
  };
}

function parseMessage(m: Record<string, unknown>): CanonicalMessage {
  const out = emptyMessage(m.role === "assistant" ? "assistant" : m.role === "tool" ? "tool" : "user");
  const content =
    typeof m.content === "string"
      ? [{ type: "text", text: m.content }]
      : ((m.content as Array<Record<string, unknown>>) ?? []);
  for (const part of content) {
    if (part.type === "text" && out.role !== "tool") out.text += String(part.text);
    if (part.type === "image_url") out.images.push(String((part.image_url as { url: string }).url));
  }
  for (const call of (m.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>) ?? []) {
    out.toolCalls.push({ id: call.id, name: call.function.name, args: JSON.parse(call.function.arguments) });
  }
  if (out.role === "tool") out.toolResults.push({ id: String(m.tool_call_id), text: flatText(m.content) });
  return out;
}

export function cohereDialect(): Dialect {
  const error = (status: number, message: string): DialectResponse => ({
    status,
    headers: { "content-type": "application/json", ...(status === 429 ? { "retry-after": "1" } : {}) },
    body: JSON.stringify({ id: "err-fake", message }),
  });
  return {
    streamContentType: "text/event-stream",
    match(method, url, body) {
      if (method !== "POST") return null;
      if (url.pathname.endsWith("/chat"))
        return { model: String(body.model ?? ""), stream: body.stream === true, kind: "chat" };
      if (url.pathname.endsWith("/embed"))
        return { model: String(body.model ?? ""), stream: false, kind: "embeddings" };
      return null;
    },
    check(req, _url, body) {
      if (!String(req.headers.authorization ?? "").startsWith("Bearer ")) return error(401, "no api key supplied");
      const messages = (body.messages as Array<{ role: string }>) ?? [];
      if (messages.some((m) => !["system", "user", "assistant", "tool"].includes(m.role))) {
        return error(400, "invalid role in messages");
      }
      return null;
    },
    parse(body) {
      const messages = (body.messages as Array<Record<string, unknown>>) ?? [];
      const system = messages.filter((m) => m.role === "system").map((m) => flatText(m.content));
      return {
        model: String(body.model),
        stream: body.stream === true,
        system: system.length > 0 ? system.join("\n") : null,
        messages: messages.filter((m) => m.role !== "system").map(parseMessage),
        tools: ((body.tools as Array<{ function: { name: string } }>) ?? []).map((t) => t.function.name),
        jsonMode: (body.response_format as { type?: string } | undefined)?.type === "json_object",
        maxTokens: (body.max_tokens as number | undefined) ?? null,
        stop: (body.stop_sequences as string[] | undefined) ?? [],
      };
    },
    json(plan, _match, usage) {
      const message =
        plan.kind === "text"
          ? { role: "assistant", content: [{ type: "text", text: plan.text }] }
          : {
              role: "assistant",
              tool_plan: "I will call the tool.",
              tool_calls: [{ id: plan.id, type: "function", function: { name: plan.name, arguments: plan.args } }],
            };
      return {
        id: "cohere-fake-1",
        finish_reason: plan.kind === "text" ? "COMPLETE" : "TOOL_CALL",
        message,
        ...(usage ? { usage: usageBlock(usage) } : {}),
      };
    },
    events(plan, _match, usage) {
      const events = [
        sse({ id: "cohere-fake-1", type: "message-start", delta: { message: { role: "assistant" } } }, "message-start"),
      ];
      if (plan.kind === "text") {
        events.push(
          sse(
            { type: "content-start", index: 0, delta: { message: { content: { type: "text", text: "" } } } },
            "content-start",
          ),
        );
        for (const w of words(plan.text)) {
          events.push(
            sse({ type: "content-delta", index: 0, delta: { message: { content: { text: w } } } }, "content-delta"),
          );
        }
        events.push(sse({ type: "content-end", index: 0 }, "content-end"));
      } else {
        events.push(
          sse(
            { type: "tool-plan-delta", delta: { message: { tool_plan: "I will call the tool." } } },
            "tool-plan-delta",
          ),
        );
        events.push(
          sse(
            {
              type: "tool-call-start",
              index: 0,
              delta: {
                message: {
                  tool_calls: { id: plan.id, type: "function", function: { name: plan.name, arguments: "" } },
                },
              },
            },
            "tool-call-start",
          ),
        );
        const half = Math.floor(plan.args.length / 2);
        for (const piece of [plan.args.slice(0, half), plan.args.slice(half)]) {
          events.push(
            sse(
              {
                type: "tool-call-delta",
                index: 0,
                delta: { message: { tool_calls: { function: { arguments: piece } } } },
              },
              "tool-call-delta",
            ),
          );
        }
        events.push(sse({ type: "tool-call-end", index: 0 }, "tool-call-end"));
      }
      events.push(
        sse(
          {
            type: "message-end",
            delta: {
              finish_reason: plan.kind === "text" ? "COMPLETE" : "TOOL_CALL",
              ...(usage ? { usage: usageBlock(usage) } : {}),
            },
          },
          "message-end",
        ),
      );
      return events;
    },
    error,
    embeddings(body) {
      const texts = (body.texts as string[]) ?? [];
      return {
        id: "embed-fake",
        embeddings: { float: texts.map(() => [0.1, 0.2, 0.3]) },
        texts,
        meta: { billed_units: { input_tokens: 8 } },
      };
    },
  };
}
