import {
  type CanonicalMessage,
  type CanonicalRequest,
  type DialectResponse,
  emptyMessage,
  type FakeUsageTotals,
  flatText,
  type ReplyPlan,
  sse,
  words,
} from "../provider-fake.ts";

/**
 * OpenAI's Responses API as the real host speaks it (`POST …/responses`): the request read back into
 * a CanonicalRequest, the `response` object, and the SSE events (`event:` framed, a
 * `sequence_number` each, ending at `response.completed`, no `[DONE]`). Used by the OpenAI dialect
 * for hosts that offer it natively.
 */
type Obj = Record<string, unknown>;

function messageOf(item: Obj): CanonicalMessage | null {
  const type = item.type ?? "message";
  if (type === "function_call_output") {
    const out = emptyMessage("tool");
    out.toolResults.push({ id: String(item.call_id), text: flatText(item.output) });
    return out;
  }
  if (type === "function_call") {
    const out = emptyMessage("assistant");
    out.toolCalls.push({ id: String(item.call_id), name: String(item.name), args: JSON.parse(String(item.arguments)) });
    return out;
  }
  if (type !== "message" || item.role === "system" || item.role === "developer") return null;
  const out = emptyMessage(item.role === "assistant" ? "assistant" : "user");
  if (typeof item.content === "string") out.text = item.content;
  for (const part of Array.isArray(item.content) ? (item.content as Obj[]) : []) {
    if (typeof part.text === "string") out.text += part.text;
    if (part.type === "input_image") out.images.push(String(part.image_url));
  }
  return out;
}

export function parseResponsesRequest(body: Obj): CanonicalRequest {
  const input = body.input;
  const items = typeof input === "string" ? [{ role: "user", content: input }] : ((input as Obj[]) ?? []);
  const format = (body.text as { format?: { type?: string } } | undefined)?.format;
  return {
    model: String(body.model),
    stream: body.stream === true,
    system: typeof body.instructions === "string" ? body.instructions : null,
    messages: items.map(messageOf).filter((m): m is CanonicalMessage => m !== null),
    tools: ((body.tools as Obj[]) ?? []).filter((t) => t.type === "function").map((t) => String(t.name)),
    jsonMode: format?.type === "json_object" || format?.type === "json_schema",
    maxTokens: (body.max_output_tokens as number | undefined) ?? null,
    stop: [],
  };
}

function usageBlock(u: FakeUsageTotals) {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

const outputItem = (plan: ReplyPlan, status: string): Obj =>
  plan.kind === "text"
    ? {
        id: "msg_fake_1",
        type: "message",
        status,
        role: "assistant",
        content: [{ type: "output_text", text: plan.text, annotations: [], logprobs: [] }],
      }
    : { id: "fc_fake_1", type: "function_call", status, call_id: plan.id, name: plan.name, arguments: plan.args };

function envelope(model: string, body: Obj, status: string, output: Obj[], usage: FakeUsageTotals | null): Obj {
  return {
    id: "resp_fake_1",
    object: "response",
    created_at: 1_700_000_000,
    status,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    store: body.store ?? true,
    tool_choice: "auto",
    tools: body.tools ?? [],
    usage: usage && status === "completed" ? usageBlock(usage) : null,
    metadata: {},
  };
}

export function responsesJson(plan: ReplyPlan, model: string, usage: FakeUsageTotals | null, body: Obj): object {
  return envelope(model, body, "completed", [outputItem(plan, "completed")], usage);
}

export function responsesEvents(plan: ReplyPlan, model: string, usage: FakeUsageTotals | null, body: Obj): string[] {
  let seq = 0;
  const ev = (type: string, data: Obj) => sse({ type, sequence_number: seq++, ...data }, type);
  const events = [
    ev("response.created", { response: envelope(model, body, "in_progress", [], null) }),
    ev("response.in_progress", { response: envelope(model, body, "in_progress", [], null) }),
  ];
  const done = outputItem(plan, "completed");
  if (plan.kind === "text") {
    const at = { item_id: "msg_fake_1", output_index: 0, content_index: 0 };
    events.push(
      ev("response.output_item.added", { output_index: 0, item: { ...done, status: "in_progress", content: [] } }),
    );
    events.push(ev("response.content_part.added", { ...at, part: { type: "output_text", text: "", annotations: [] } }));
    for (const w of words(plan.text)) events.push(ev("response.output_text.delta", { ...at, delta: w, logprobs: [] }));
    events.push(ev("response.output_text.done", { ...at, text: plan.text, logprobs: [] }));
    const part = { type: "output_text", text: plan.text, annotations: [], logprobs: [] };
    events.push(ev("response.content_part.done", { ...at, part }));
  } else {
    const at = { item_id: "fc_fake_1", output_index: 0 };
    events.push(
      ev("response.output_item.added", { output_index: 0, item: { ...done, status: "in_progress", arguments: "" } }),
    );
    events.push(ev("response.function_call_arguments.delta", { ...at, delta: plan.args }));
    events.push(ev("response.function_call_arguments.done", { ...at, arguments: plan.args }));
  }
  events.push(ev("response.output_item.done", { output_index: 0, item: done }));
  events.push(ev("response.completed", { response: envelope(model, body, "completed", [done], usage) }));
  return events;
}

/** GET / DELETE of a stored response (`resp_fake_1` exists; any other id is a 404), and its input items. */
export function storedResponse(method: string, url: URL, model: string): DialectResponse | null {
  const m = /\/responses\/([^/]+)(\/input_items)?$/.exec(url.pathname);
  if (!m || (method !== "GET" && method !== "DELETE")) return null;
  const json = (status: number, body: object): DialectResponse => ({
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (m[1] !== "resp_fake_1") {
    return json(404, {
      error: {
        message: `Response with id '${m[1]}' not found.`,
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    });
  }
  if (m[2]) {
    const item = {
      id: "msg_in_1",
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "Say hello" }],
    };
    return json(200, { object: "list", data: [item], first_id: "msg_in_1", last_id: "msg_in_1", has_more: false });
  }
  if (method === "DELETE") return json(200, { id: "resp_fake_1", object: "response.deleted", deleted: true });
  return json(200, responsesJson({ kind: "text", text: "stored" }, model, null, { store: true }));
}
