import type { Usage } from "@switchyard/events";
import type { MessagesTransform, ParsedResponse } from "../adapter.ts";
import { type CompletionResult, NO_FINISH_REASONS, type StreamChunk } from "../provider.ts";
import { errorResult, parseJson } from "../shared/errors.ts";
import { scrubSecrets } from "../shared/scrub-secrets.ts";
import { sseFrames } from "../shared/sse.ts";
import { usageFromAnthropic } from "./usage.ts";
import { anthropicError, anthropicHeaders, messagesUrl } from "./wire.ts";

/**
 * /v1/messages to Anthropic, natively: the client's Messages body goes up as it is (cache_control,
 * thinking, metadata, top_k, documents and citations, every tool_choice shape survive) and the
 * answer comes back byte for byte — the JSON message, each SSE frame, or Anthropic's error body.
 * Beside it the facts the event and span need are read (usage incl. cache tokens, model, id, stop
 * reason, error), so nothing downstream parses again. Only the error body may change: secrets the
 * upstream echoed are masked first.
 */
type Obj = Record<string, unknown>;

interface Message {
  type?: unknown;
  id?: unknown;
  model?: unknown;
  content?: Array<{ type?: unknown; text?: unknown; thinking?: unknown; input?: unknown }>;
  stop_reason?: unknown;
  usage?: unknown;
}

const str = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

function response(body: Buffer): ParsedResponse {
  const json = parseJson(body) as Message | null;
  if (json === null || typeof json !== "object" || !Array.isArray(json.content)) {
    throw new Error("not an Anthropic message");
  }
  let outputText = "";
  for (const block of json.content) {
    if (typeof block?.text === "string") outputText += block.text;
    else if (typeof block?.thinking === "string") outputText += block.thinking;
    else if (block?.type === "tool_use") outputText += JSON.stringify(block.input ?? {});
  }
  return {
    body,
    usage: usageFromAnthropic(json.usage),
    model: str(json.model),
    outputText,
    responseId: str(json.id) ?? "",
    // Anthropic's own stop reason, as the client sees it (CompletionResult.finishReasons, passThrough).
    finishReasons: str(json.stop_reason) === null ? [] : [json.stop_reason as string],
  };
}

/**
 * Each upstream frame becomes one chunk that carries it (`passThrough`) and its facts: the message
 * id on every chunk from message_start on, the model there, the output text of each delta (for a
 * local count), the stop reason (Anthropic's terms) on message_delta, and the usage — message_start's
 * and message_delta's merged, as Anthropic reports them cumulatively — on message_stop.
 */
async function* stream(body: AsyncIterable<Uint8Array>): AsyncGenerator<StreamChunk> {
  let id: string | null = null;
  let raw: Obj = {};
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
    switch (event?.type) {
      case "message_start": {
        const message = (event.message ?? {}) as Message;
        id = str(message.id);
        chunk.id = id;
        chunk.model = str(message.model);
        raw = { ...(message.usage as Obj) };
        break;
      }
      case "content_block_delta": {
        const delta = (event.delta ?? {}) as { text?: unknown; partial_json?: unknown; thinking?: unknown };
        const text = delta.text ?? delta.partial_json ?? delta.thinking;
        if (typeof text === "string" && text !== "") chunk.text = text;
        break;
      }
      case "message_delta": {
        raw = { ...raw, ...(event.usage as Obj) };
        const reason = str((event.delta as { stop_reason?: unknown } | undefined)?.stop_reason);
        if (reason !== null) chunk.finishReasons = [reason];
        break;
      }
      case "message_stop":
        chunk.usage = usageFromAnthropic(raw);
        yield chunk;
        return;
      case "error": {
        // As on the translated path: the stream is cut (recorded as stream_interrupted, 502) and
        // the client gets the endpoint's error event.
        const e = event.error as { type?: string; message?: string } | undefined;
        throw new Error(`upstream stream error: ${e?.type ?? "error"}: ${e?.message ?? "unknown"}`);
      }
      default:
        break; // ping, content_block_start/stop, comments
    }
    yield chunk;
  }
  throw new Error("upstream stream ended before message_stop");
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

/**
 * Anthropic's error body as it came (its secrets masked) when it is Anthropic's shape, else one in
 * that shape from the mapped facts; the failure (type, message) is recorded as on the chat path.
 */
function error(
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  rawHeaders: Record<string, string | string[] | undefined>,
  credentials: readonly string[],
): CompletionResult {
  const mapped = errorResult(
    { id: "anthropic", error: anthropicError },
    status,
    headers,
    body,
    rawHeaders,
    credentials,
  );
  const failure = mapped.failure ?? { type: "api_error", message: `upstream returned ${status}` };
  const text = scrubSecrets(body.toString("utf8"), credentials);
  const json = parseJson(text) as { type?: unknown; error?: unknown } | null;
  const native = json !== null && json.type === "error" && typeof json.error === "object" && json.error !== null;
  const relayed = native
    ? text === body.toString("utf8")
      ? body
      : Buffer.from(text)
    : Buffer.from(JSON.stringify({ type: "error", error: { type: failure.type, message: failure.message } }));
  return { ...mapped, body: relayed, passThrough: true };
}

export const anthropicMessagesTransform: MessagesTransform = {
  request: (call, streaming) => {
    const body: Obj = { ...call.body };
    if (streaming) body.stream = true;
    else delete body.stream;
    return { url: messagesUrl(call.target), headers: anthropicHeaders(call.target), body: JSON.stringify(body) };
  },
  response: (body) => response(body),
  stream: (body) => stream(body),
  usageChunk,
  error,
};
