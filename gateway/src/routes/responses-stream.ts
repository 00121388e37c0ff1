import type { Usage } from "@switchyard/events";
import type { StreamEncoder } from "../pipeline/endpoint.ts";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import type { StreamChunk } from "../providers/provider.ts";
import type { StreamChunkFacts } from "../telemetry/index.ts";
import type { ResponsesRequest } from "./responses-convert.ts";
import {
  functionCallItem,
  messageItem,
  outputText,
  reasoningItem,
  responseEnvelope,
  responseId,
  responsesUsage,
  statusOf,
} from "./responses-output.ts";

/**
 * The Responses SSE side of /v1/responses: chat.completion.chunk events → `response.created`,
 * `response.in_progress`, output items opened, their deltas (`response.output_text.delta`,
 * `response.function_call_arguments.delta`, reasoning summary text), closed with their `.done`
 * events, and `response.completed` (or `.incomplete`) with the usage — each framed with `event:`
 * and a `sequence_number`, no `[DONE]`. A native stream's chunks (`passThrough`: OpenAI's own
 * frames) are written as they came, and then the encoder adds no end of its own.
 */
type Obj = Record<string, unknown>;

interface OpenItem {
  kind: "message" | "function_call" | "reasoning";
  outputIndex: number;
  id: string;
  text: string;
  callId?: string;
  name?: string;
  /** `id` as JSON, made once for the per-delta frames (the id derives from the upstream's). */
  idJson: string;
}

export function responsesStreamEncoder(req: ResponsesRequest): StreamEncoder {
  let native = false;
  let sequence = 0;
  let id = "";
  let suffix = "";
  let model = req.model;
  const createdAt = Math.floor(Date.now() / 1000);
  let finish: unknown = null;
  let usage: Usage | null = null;
  const output: Obj[] = [];
  let open: OpenItem | null = null;
  const tools = new Map<number, OpenItem>();
  let out = "";
  // The last chunk id seen and its response id: chunks repeat one id, so it is mapped once.
  let lastId: string | null = null;
  let lastResponseId: string | null = null;

  const emit = (type: string, data: Obj) => {
    out += `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`;
  };
  // The hot path (one per text delta) writes its JSON directly: no event object, no generic stringify.
  const emitTextDelta = (item: OpenItem, delta: string) => {
    out +=
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${sequence++},` +
      `"item_id":${item.idJson},"output_index":${item.outputIndex},"content_index":0,` +
      `"delta":${JSON.stringify(delta)},"logprobs":[]}\n\n`;
  };
  const envelope = (status: string, extra: Partial<Parameters<typeof responseEnvelope>[4]> = {}) =>
    responseEnvelope(id, model, req, createdAt, { status, incomplete_details: null, output, usage: null, ...extra });

  const closeItem = (item: OpenItem) => {
    const at = { item_id: item.id, output_index: item.outputIndex };
    let done: Obj;
    if (item.kind === "message") {
      emit("response.output_text.done", { ...at, content_index: 0, text: item.text, logprobs: [] });
      emit("response.content_part.done", { ...at, content_index: 0, part: outputText(item.text) });
      done = messageItem(item.id, item.text, "completed");
    } else if (item.kind === "reasoning") {
      const part = { type: "summary_text", text: item.text };
      emit("response.reasoning_summary_text.done", { ...at, summary_index: 0, text: item.text });
      emit("response.reasoning_summary_part.done", { ...at, summary_index: 0, part });
      done = reasoningItem(item.id, item.text);
    } else {
      emit("response.function_call_arguments.done", { ...at, arguments: item.text, name: item.name });
      done = functionCallItem(item.id, item.callId ?? "", item.name ?? "", item.text, "completed");
    }
    output[item.outputIndex] = done;
    emit("response.output_item.done", { output_index: item.outputIndex, item: done });
  };
  const closeOpen = () => {
    if (open !== null) closeItem(open);
    open = null;
  };
  const openItem = (kind: OpenItem["kind"], itemId: string, start: Obj, extra: Partial<OpenItem> = {}): OpenItem => {
    const item: OpenItem = {
      kind,
      outputIndex: output.length,
      id: itemId,
      idJson: JSON.stringify(itemId),
      text: "",
      ...extra,
    };
    output.push(start);
    emit("response.output_item.added", { output_index: item.outputIndex, item: start });
    return item;
  };
  const textDelta = (kind: "message" | "reasoning", delta: string) => {
    if (open?.kind !== kind) {
      closeOpen();
      const n = output.length;
      if (kind === "message") {
        open = openItem(kind, `msg_${suffix}_${n}`, messageItem(`msg_${suffix}_${n}`, "", "in_progress"));
        emit("response.content_part.added", {
          item_id: open.id,
          output_index: open.outputIndex,
          content_index: 0,
          part: outputText(""),
        });
      } else {
        open = openItem(kind, `rs_${suffix}_${n}`, reasoningItem(`rs_${suffix}_${n}`, ""));
        emit("response.reasoning_summary_part.added", {
          item_id: open.id,
          output_index: open.outputIndex,
          summary_index: 0,
          part: { type: "summary_text", text: "" },
        });
      }
    }
    const item = open as OpenItem;
    item.text += delta;
    const at = { item_id: item.id, output_index: item.outputIndex };
    if (kind === "message") emitTextDelta(item, delta);
    else emit("response.reasoning_summary_text.delta", { ...at, summary_index: 0, delta });
  };

  return {
    chunk(chunk: StreamChunk) {
      if (chunk.passThrough !== undefined) {
        native = true;
        return chunk.passThrough;
      }
      out = "";
      if (chunk.usage) usage = chunk.usage;
      if (id === "") {
        id = responseId(chunk.id);
        suffix = id.slice("resp_".length);
        if (chunk.model) model = chunk.model;
        const started = envelope("in_progress");
        emit("response.created", { response: started });
        emit("response.in_progress", { response: started });
      }
      if (chunk.usageOnly) return out;
      const data = JSON.parse(chunk.data) as Obj;
      for (const choice of (data.choices as Obj[]) ?? []) {
        const delta = (choice.delta ?? {}) as Obj;
        if (typeof delta.reasoning_content === "string" && delta.reasoning_content) {
          textDelta("reasoning", delta.reasoning_content);
        }
        if (typeof delta.content === "string" && delta.content) textDelta("message", delta.content);
        for (const call of (delta.tool_calls as Obj[]) ?? []) {
          const fn = (call.function ?? {}) as Obj;
          const index = Number(call.index ?? 0);
          let item = tools.get(index);
          if (item === undefined && call.id !== undefined) {
            closeOpen();
            const itemId = `fc_${suffix}_${output.length}`;
            const name = String(fn.name ?? "");
            const start = functionCallItem(itemId, String(call.id), name, "", "in_progress");
            item = openItem("function_call", itemId, start, { callId: String(call.id), name });
            tools.set(index, item);
          }
          if (item && typeof fn.arguments === "string" && fn.arguments) {
            item.text += fn.arguments;
            emit("response.function_call_arguments.delta", {
              item_id: item.id,
              output_index: item.outputIndex,
              delta: fn.arguments,
            });
          }
        }
        if (typeof choice.finish_reason === "string") finish = choice.finish_reason;
      }
      return out;
    },
    // The span reports the response id the client gets (resp_…), as the JSON path does.
    facts(chunk: StreamChunk): StreamChunkFacts {
      if (chunk.passThrough !== undefined || chunk.id === null) {
        return { data: chunk.data, id: chunk.id, model: chunk.model, finishReasons: chunk.finishReasons };
      }
      if (chunk.id !== lastId) {
        lastId = chunk.id;
        lastResponseId = responseId(chunk.id);
      }
      return { data: chunk.data, id: lastResponseId, model: chunk.model, finishReasons: chunk.finishReasons };
    },
    end(outcome: RequestOutcome) {
      if (native) return "";
      out = "";
      closeOpen();
      for (const item of tools.values()) if (output[item.outputIndex]?.status === "in_progress") closeItem(item);
      const state = statusOf(finish);
      const response = envelope(state.status, {
        incomplete_details: state.incomplete_details,
        usage: responsesUsage(usage ?? outcome.usage),
      });
      emit(state.status === "completed" ? "response.completed" : "response.incomplete", { response });
      return out;
    },
    error: (message) => {
      out = "";
      emit("error", { code: "stream_interrupted", message, param: null });
      return out;
    },
  };
}
