import { type Usage, ZERO_USAGE } from "@switchyard/events";
import type { ResponsesRequest } from "./responses-convert.ts";

/**
 * The way back for the Responses adapter: a chat.completion (the gateway's OpenAI shape, from any
 * provider) → an OpenAI `response` object, and the pieces the stream encoder shares with it (ids,
 * usage block, the response envelope).
 */
type Obj = Record<string, unknown>;

/** The response id the client gets for a chat completion id (`resp_…`, never `resp_resp_…`). */
export function responseId(completionId: unknown): string {
  const id = String(completionId ?? "switchyard");
  return id.startsWith("resp_") ? id : `resp_${id.replace(/^chatcmpl-/, "")}`;
}

/** The Responses usage block: input includes cached tokens, output includes reasoning, as in events. */
export function responsesUsage(usage: Usage | null): Obj {
  const u = usage ?? ZERO_USAGE;
  return {
    input_tokens: u.input_tokens,
    input_tokens_details: { cached_tokens: u.cache_read_tokens },
    output_tokens: u.output_tokens,
    output_tokens_details: { reasoning_tokens: u.reasoning_tokens },
    total_tokens: u.input_tokens + u.output_tokens,
  };
}

/** A finish_reason → the response's status and incomplete_details. */
export function statusOf(finishReason: unknown): { status: string; incomplete_details: Obj | null } {
  if (finishReason === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (finishReason === "content_filter") {
    return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  }
  return { status: "completed", incomplete_details: null };
}

/** The response object around `output`, echoing the request's settings as OpenAI does. */
export function responseEnvelope(
  id: string,
  model: string,
  req: ResponsesRequest,
  createdAt: number,
  state: { status: string; incomplete_details: Obj | null; output: Obj[]; usage: Obj | null },
): Obj {
  return {
    id,
    object: "response",
    created_at: createdAt,
    status: state.status,
    error: null,
    incomplete_details: state.incomplete_details,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model,
    output: state.output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: null },
    store: false,
    temperature: req.temperature ?? 1,
    text: { format: req.text?.format ?? { type: "text" } },
    tool_choice: req.tool_choice ?? "auto",
    tools: req.tools ?? [],
    top_p: req.top_p ?? 1,
    truncation: "disabled",
    usage: state.usage,
    user: req.user ?? null,
    metadata: req.metadata ?? {},
  };
}

export const messageItem = (id: string, text: string, status: string): Obj => ({
  id,
  type: "message",
  status,
  role: "assistant",
  content: text === "" && status === "in_progress" ? [] : [outputText(text)],
});

export const outputText = (text: string): Obj => ({ type: "output_text", text, annotations: [], logprobs: [] });

export const functionCallItem = (id: string, callId: string, name: string, args: string, status: string): Obj => ({
  id,
  type: "function_call",
  status,
  call_id: callId,
  name,
  arguments: args,
});

export const reasoningItem = (id: string, text: string): Obj => ({
  id,
  type: "reasoning",
  summary: text ? [{ type: "summary_text", text }] : [],
});

/** A chat.completion → a `response` object (JSON path of the adapter). */
export function toResponse(completion: Obj, usage: Usage | null, req: ResponsesRequest, now: number): Obj {
  const choice = ((completion.choices as Obj[]) ?? [])[0] ?? {};
  const message = (choice.message ?? {}) as Obj;
  const id = responseId(completion.id);
  const suffix = id.slice("resp_".length);
  const output: Obj[] = [];
  if (typeof message.reasoning_content === "string" && message.reasoning_content) {
    output.push(reasoningItem(`rs_${suffix}`, message.reasoning_content));
  }
  if (typeof message.content === "string" && message.content) {
    output.push(messageItem(`msg_${suffix}`, message.content, "completed"));
  }
  ((message.tool_calls as Obj[]) ?? []).forEach((call, i) => {
    const fn = (call.function ?? {}) as Obj;
    const args = typeof fn.arguments === "string" ? fn.arguments : "{}";
    output.push(functionCallItem(`fc_${suffix}_${i}`, String(call.id ?? ""), String(fn.name ?? ""), args, "completed"));
  });
  const model = typeof completion.model === "string" ? completion.model : req.model;
  const created = typeof completion.created === "number" ? completion.created : now;
  return responseEnvelope(id, model, req, created, {
    ...statusOf(choice.finish_reason),
    output,
    usage: responsesUsage(usage),
  });
}
