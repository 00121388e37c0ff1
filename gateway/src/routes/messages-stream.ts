import type { Usage } from "@switchyard/events";
import type { StreamEncoder } from "../pipeline/endpoint.ts";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import type { StreamChunk } from "../providers/provider.ts";
import type { StreamChunkFacts } from "../telemetry/index.ts";
import { anthropicError, anthropicUsage, messageId, stopReason } from "./messages-convert.ts";

/** The Anthropic SSE side of /v1/messages: what the client's stream is made of, chunk by chunk. */
type Obj = Record<string, unknown>;

const event = (name: string, data: Obj) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** A native chunk's text delta as the chat.completion.chunk telemetry's content capture reads. */
function captureData(chunk: StreamChunk): string {
  return chunk.text !== undefined && chunk.data.includes('"text_delta"')
    ? JSON.stringify({ choices: [{ index: 0, delta: { content: chunk.text } }] })
    : "{}";
}

/**
 * chat.completion.chunk events → Anthropic SSE events, block by block, as they arrive. A native
 * stream's chunks (`passThrough`: Anthropic's own frames, message_stop included) are written as
 * they came, and then the encoder adds no end of its own. The guardrails' `event: hook_results`
 * frames (non-strict clients only) are written as they are in either.
 */
export function anthropicStreamEncoder(requestedModel: string): StreamEncoder {
  let native = false;
  let started = false;
  let index = -1;
  let open: "text" | "thinking" | "tool_use" | null = null;
  let stop = "end_turn";
  let usage: Usage | null = null;
  const toolBlocks = new Map<number, number>();
  let out = "";
  // The last chunk id seen and its message id: chunks repeat one id, so it is mapped once.
  let lastId: string | null = null;
  let lastMessageId: string | null = null;
  const close = () => {
    if (open !== null) out += event("content_block_stop", { type: "content_block_stop", index });
    open = null;
  };
  const openBlock = (kind: NonNullable<typeof open>, block: Obj) => {
    close();
    index += 1;
    open = kind;
    out += event("content_block_start", { type: "content_block_start", index, content_block: block });
  };
  // A text or thinking delta: opens its block first unless that kind is the one open.
  const blockDelta = (kind: "text" | "thinking", delta: Obj) => {
    if (open !== kind) {
      openBlock(kind, kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" });
    }
    out += event("content_block_delta", { type: "content_block_delta", index, delta });
  };
  return {
    chunk(chunk: StreamChunk) {
      if (chunk.passThrough !== undefined) {
        // The guardrails' own `hook_results` frame (non-strict clients) says nothing about which stream this is.
        if (!chunk.passThrough.startsWith("event: hook_results\n")) native = true;
        return chunk.passThrough;
      }
      out = "";
      if (chunk.usage) usage = chunk.usage;
      const data = JSON.parse(chunk.data) as Obj;
      if (!started) {
        started = true;
        out += event("message_start", {
          type: "message_start",
          message: {
            id: messageId(chunk.id),
            type: "message",
            role: "assistant",
            model: data.model ?? requestedModel,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 0, output_tokens: 0 },
          },
        });
      }
      for (const choice of (data.choices as Obj[]) ?? []) {
        const delta = (choice.delta ?? {}) as Obj;
        if (typeof delta.reasoning_content === "string" && delta.reasoning_content) {
          blockDelta("thinking", { type: "thinking_delta", thinking: delta.reasoning_content });
        }
        if (typeof delta.reasoning_signature === "string" && delta.reasoning_signature) {
          blockDelta("thinking", { type: "signature_delta", signature: delta.reasoning_signature });
        }
        if (typeof delta.content === "string" && delta.content) {
          blockDelta("text", { type: "text_delta", text: delta.content });
        }
        for (const call of (delta.tool_calls as Obj[]) ?? []) {
          const fn = (call.function ?? {}) as Obj;
          const toolIndex = Number(call.index ?? 0);
          if (call.id !== undefined && !toolBlocks.has(toolIndex)) {
            openBlock("tool_use", { type: "tool_use", id: call.id, name: fn.name ?? "", input: {} });
            toolBlocks.set(toolIndex, index);
          }
          if (typeof fn.arguments === "string" && fn.arguments) {
            out += event("content_block_delta", {
              type: "content_block_delta",
              index: toolBlocks.get(toolIndex) ?? index,
              delta: { type: "input_json_delta", partial_json: fn.arguments },
            });
          }
        }
        if (typeof choice.finish_reason === "string") stop = stopReason(choice.finish_reason);
      }
      return out;
    },
    // The span reports the message id and stop reasons this client gets (as /v1/messages JSON does).
    facts(chunk: StreamChunk): StreamChunkFacts {
      // A native chunk's facts already are the client's (msg_… id, Anthropic stop reasons).
      if (chunk.passThrough !== undefined) {
        return { data: captureData(chunk), id: chunk.id, model: chunk.model, finishReasons: chunk.finishReasons };
      }
      if (chunk.id !== null && chunk.id !== lastId) {
        lastId = chunk.id;
        lastMessageId = messageId(chunk.id);
      }
      return {
        data: chunk.data,
        id: chunk.id === null ? null : lastMessageId,
        model: chunk.model,
        finishReasons: chunk.finishReasons.length === 0 ? chunk.finishReasons : chunk.finishReasons.map(stopReason),
      };
    },
    end(outcome: RequestOutcome) {
      if (native) return "";
      out = "";
      close();
      out += event("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stop, stop_sequence: null },
        usage: anthropicUsage(usage ?? outcome.usage),
      });
      out += event("message_stop", { type: "message_stop" });
      return out;
    },
    error: (message) => event("error", anthropicError("api_error", message)),
  };
}
