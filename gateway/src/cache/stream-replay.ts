import { NO_FINISH_REASONS, type StreamChunk } from "../providers/provider.ts";
import type { StoredAnswer } from "./answer.ts";

type Obj = Record<string, unknown>;

/** Characters of text per replayed chunk (Portkey replays stored streams in ~125-token pieces). */
const PIECE = 500;

/**
 * A stored answer as the chunks of a stream, in the endpoint's own format: chat.completion.chunk or
 * text_completion events (the endpoint's encoder adds `[DONE]`, or converts them to Anthropic
 * events on /v1/messages), or Anthropic's own SSE frames for a native message. Chunks carry no
 * `usage` fact (a hit bills nothing); the closing usage chunk still shows the stored usage to
 * clients that asked for it.
 */
export function replayChunks(answer: StoredAnswer): StreamChunk[] {
  const body = JSON.parse(answer.body) as Obj;
  if (answer.format === "anthropic") return anthropicFrames(body);
  return openAIChunks(body, answer.format === "text");
}

function openAIChunks(body: Obj, text: boolean): StreamChunk[] {
  const head = {
    id: body.id ?? null,
    object: text ? "text_completion" : "chat.completion.chunk",
    created: body.created ?? Math.floor(Date.now() / 1000),
    model: body.model ?? null,
    ...(body.system_fingerprint ? { system_fingerprint: body.system_fingerprint } : {}),
  };
  const id = typeof body.id === "string" ? body.id : null;
  const model = typeof body.model === "string" ? body.model : null;
  const chunk = (choices: Obj[], finish: readonly string[], piece?: string, extra: Obj = {}): StreamChunk => ({
    data: JSON.stringify({ ...head, choices, ...extra }),
    id,
    usage: null,
    model,
    finishReasons: finish,
    usageOnly: choices.length === 0,
    ...(piece ? { text: piece } : {}),
  });
  const out: StreamChunk[] = [];
  for (const choice of (body.choices as Obj[] | undefined) ?? []) {
    const index = choice.index ?? 0;
    if (text) {
      for (const piece of pieces(String(choice.text ?? "")))
        out.push(chunk([{ text: piece, index, logprobs: null, finish_reason: null }], NO_FINISH_REASONS, piece));
    } else {
      const message = (choice.message ?? {}) as Obj;
      const content = typeof message.content === "string" ? message.content : null;
      const first: Obj = { role: "assistant", content: content === null ? null : "" };
      if (typeof message.reasoning_content === "string") first.reasoning_content = message.reasoning_content;
      if (Array.isArray(message.tool_calls)) {
        first.tool_calls = (message.tool_calls as Obj[]).map((call, i) => ({ index: i, ...call }));
      }
      out.push(chunk([{ index, delta: first, logprobs: null, finish_reason: null }], NO_FINISH_REASONS));
      for (const piece of pieces(content ?? ""))
        out.push(
          chunk([{ index, delta: { content: piece }, logprobs: null, finish_reason: null }], NO_FINISH_REASONS, piece),
        );
    }
    const finish = typeof choice.finish_reason === "string" ? choice.finish_reason : "stop";
    const end = text
      ? { text: "", index, logprobs: null, finish_reason: finish }
      : { index, delta: {}, logprobs: null, finish_reason: finish };
    out.push(chunk([end], [finish]));
  }
  if (body.usage) out.push(chunk([], NO_FINISH_REASONS, undefined, { usage: body.usage }));
  return out;
}

function anthropicFrames(message: Obj): StreamChunk[] {
  const id = typeof message.id === "string" ? message.id : null;
  const model = typeof message.model === "string" ? message.model : null;
  const frame = (
    type: string,
    data: Obj,
    finish: readonly string[] = NO_FINISH_REASONS,
    text?: string,
  ): StreamChunk => {
    const json = JSON.stringify({ type, ...data });
    return {
      data: json,
      passThrough: `event: ${type}\ndata: ${json}\n\n`,
      id,
      usage: null,
      model,
      finishReasons: finish,
      usageOnly: false,
      ...(text ? { text } : {}),
    };
  };
  const usage = (message.usage ?? {}) as Obj;
  const { content, stop_reason, stop_sequence, ...rest } = message;
  const out: StreamChunk[] = [
    frame("message_start", {
      message: { ...rest, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 0 } },
    }),
  ];
  for (const [index, block] of ((content as Obj[] | undefined) ?? []).entries()) {
    if (block.type === "text") {
      out.push(frame("content_block_start", { index, content_block: { type: "text", text: "" } }));
      for (const piece of pieces(String(block.text ?? "")))
        out.push(
          frame("content_block_delta", { index, delta: { type: "text_delta", text: piece } }, NO_FINISH_REASONS, piece),
        );
    } else if (block.type === "thinking") {
      out.push(
        frame("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } }),
      );
      out.push(
        frame("content_block_delta", { index, delta: { type: "thinking_delta", thinking: block.thinking ?? "" } }),
      );
      if (block.signature)
        out.push(
          frame("content_block_delta", { index, delta: { type: "signature_delta", signature: block.signature } }),
        );
    } else if (block.type === "tool_use") {
      out.push(frame("content_block_start", { index, content_block: { ...block, input: {} } }));
      out.push(
        frame("content_block_delta", {
          index,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input ?? {}) },
        }),
      );
    } else {
      out.push(frame("content_block_start", { index, content_block: block }));
    }
    out.push(frame("content_block_stop", { index }));
  }
  const stop = typeof stop_reason === "string" ? stop_reason : "end_turn";
  out.push(
    frame(
      "message_delta",
      {
        delta: { stop_reason: stop, stop_sequence: stop_sequence ?? null },
        usage: { output_tokens: usage.output_tokens ?? 0 },
      },
      [stop],
    ),
  );
  out.push(frame("message_stop", {}));
  return out;
}

function pieces(text: string): string[] {
  if (text === "") return [];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += PIECE) out.push(text.slice(i, i + PIECE));
  return out;
}
