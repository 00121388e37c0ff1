import type { Usage } from "@switchyard/events";
import type { HttpRequestSpec, NativeTransform, ParsedResponse } from "../adapter.ts";
import { type NativeMessagesCall, NO_FINISH_REASONS, type StreamChunk } from "../provider.ts";
import { parseJson } from "../shared/errors.ts";
import { sseFrames } from "../shared/sse.ts";
import { usageFromOpenAI } from "./usage.ts";

/**
 * /v1/responses to a host that speaks OpenAI's Responses API (OpenAI, Azure, Groq, xAI): the
 * client's body goes up as it is (previous_response_id, store, built-in tools, every field we do
 * not model survive) and the answer comes back byte for byte — the JSON response, each SSE frame —
 * with the facts the event and span need read beside it (usage, model, id, status). Errors are
 * OpenAI's own shape already: the adapter's error mapping serves them.
 */
type Obj = Record<string, unknown>;

const str = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/** The Responses usage block in event terms (the same counts as chat's, other names). */
export function usageFromResponses(raw: unknown): Usage | null {
  if (typeof raw !== "object" || raw === null) return null;
  const u = raw as Obj;
  return usageFromOpenAI({
    prompt_tokens: u.input_tokens,
    completion_tokens: u.output_tokens,
    prompt_tokens_details: u.input_tokens_details,
    completion_tokens_details: u.output_tokens_details,
  });
}

/** Output text of a response's items, for a local count when the host reported no usage. */
function outputTextOf(output: unknown): string {
  if (!Array.isArray(output)) return "";
  let text = "";
  for (const item of output as Obj[]) {
    if (item?.type === "function_call") text += String(item.arguments ?? "");
    for (const part of (item?.content as Obj[] | undefined) ?? []) {
      if (typeof part?.text === "string") text += part.text;
    }
  }
  return text;
}

function response(body: Buffer): ParsedResponse {
  const json = parseJson(body) as Obj | null;
  if (json === null || typeof json !== "object" || json.object !== "response") throw new Error("not a response object");
  const status = str(json.status);
  return {
    body,
    usage: usageFromResponses(json.usage),
    model: str(json.model),
    outputText: outputTextOf(json.output),
    responseId: str(json.id) ?? "",
    finishReasons: status === null ? [] : [status],
  };
}

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

/**
 * Each upstream frame becomes one chunk carrying it (`passThrough`) and its facts: the response id
 * from response.created on, the model, each text delta (for a local count), and on the terminal
 * event (completed / incomplete / failed) the status and usage. A stream that ends without one was
 * cut; an `error` event is an upstream stream error.
 */
async function* stream(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamChunk> {
  let id: string | null = null;
  for await (const frame of sseFrames(body)) {
    const chunk: StreamChunk = {
      data: frame.data ?? "{}",
      passThrough: frame.raw,
      id,
      usage: null,
      model: null,
      finishReasons: NO_FINISH_REASONS,
      usageOnly: false,
    };
    const event = frame.data === null ? null : (parseJson(frame.data) as Obj | null);
    if (frame.data !== null && (event === null || typeof event !== "object")) {
      throw new Error("upstream sent a malformed stream event");
    }
    const type = String(event?.type ?? "");
    if (type === "error") {
      throw new Error(`upstream stream error: ${String(event?.message ?? event?.code ?? "unknown")}`);
    }
    const snapshot = (event?.response ?? null) as Obj | null;
    if (type === "response.created" && snapshot) {
      id = str(snapshot.id);
      chunk.id = id;
      chunk.model = str(snapshot.model);
    } else if (type === "response.output_text.delta" || type === "response.function_call_arguments.delta") {
      if (typeof event?.delta === "string" && event.delta !== "") chunk.text = event.delta;
    } else if (TERMINAL.has(type) && snapshot) {
      chunk.usage = usageFromResponses(snapshot.usage);
      chunk.model = str(snapshot.model);
      const status = str(snapshot.status);
      if (status !== null) chunk.finishReasons = [status];
      yield chunk;
      return;
    }
    yield chunk;
  }
  throw new Error("upstream stream ended before response.completed");
}

/** Ends a stream that reported no usage: the estimate is recorded, the client is sent nothing. */
function usageChunk(usage: Usage, last: StreamChunk | null): StreamChunk {
  return {
    data: "{}",
    passThrough: "",
    id: last?.id ?? null,
    usage,
    model: null,
    finishReasons: NO_FINISH_REASONS,
    usageOnly: true,
  };
}

/** The native transform over a host's URL and headers (the preset's). */
export function responsesNative(
  build: (call: NativeMessagesCall, body: Obj) => HttpRequestSpec,
  stored?: NativeTransform["stored"],
): NativeTransform {
  return {
    ...(stored ? { stored } : {}),
    request: (call, streaming) => {
      const body: Obj = { ...call.body };
      if (streaming) body.stream = true;
      else delete body.stream;
      return build(call, body);
    },
    response: (body) => response(body),
    stream: (body) => stream(body),
    usageChunk,
  };
}
