import type { Usage } from "@switchyard/events";
import { NO_FINISH_REASONS, type StreamChunk, type UpstreamCall } from "../provider.ts";
import { openAIUsageBlock } from "./usage.ts";

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/**
 * Builds `chat.completion.chunk` events for providers whose stream is not OpenAI's, one call per
 * upstream event, so each chunk goes out as soon as its upstream event arrived.
 */
export class ChunkBuilder {
  /** Settable until the first chunk, for upstreams that name the response in their opening event. */
  id: string;
  private readonly created: number;
  model: string;
  private roleSent = false;
  /** Extra delta fields the client accepts (reasoning_content) — off for strict clients. */
  private readonly strict: boolean;

  constructor(id: string, model: string, strict = true) {
    this.id = id;
    this.model = model;
    this.created = Math.floor(Date.now() / 1000);
    this.strict = strict;
  }

  private envelope(choices: unknown[], extra: object = {}): string {
    return JSON.stringify({
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: this.model,
      choices,
      ...extra,
    });
  }

  private delta(delta: Record<string, unknown>, finish: FinishReason | null, text?: string): StreamChunk {
    if (!this.roleSent) {
      delta = { role: "assistant", ...delta };
      this.roleSent = true;
    }
    const data = this.envelope([{ index: 0, delta, logprobs: null, finish_reason: finish }]);
    return {
      data,
      id: this.id,
      usage: null,
      model: this.model,
      finishReasons: finish === null ? NO_FINISH_REASONS : [finish],
      usageOnly: false,
      ...(text ? { text } : {}),
    };
  }

  /** The opening chunk (role only). */
  start(): StreamChunk {
    return this.delta({ content: "" }, null);
  }

  text(text: string): StreamChunk {
    return this.delta({ content: text }, null, text);
  }

  /** Thinking text: `reasoning_content` for non-strict clients, nothing for strict ones. */
  reasoning(text: string, signature?: string): StreamChunk | null {
    if (this.strict) return null;
    const delta: Record<string, unknown> = { reasoning_content: text };
    if (signature) delta.reasoning_signature = signature;
    return this.delta(delta, null, text);
  }

  toolCallStart(index: number, id: string, name: string, args = ""): StreamChunk {
    return this.delta(
      { tool_calls: [{ index, id, type: "function", function: { name, arguments: args } }] },
      null,
      name + args,
    );
  }

  toolCallArgs(index: number, args: string): StreamChunk {
    return this.delta({ tool_calls: [{ index, function: { arguments: args } }] }, null, args);
  }

  finish(reason: FinishReason): StreamChunk {
    return this.delta({}, reason);
  }

  /** The final usage-only chunk (empty choices), as OpenAI sends with include_usage. */
  usage(usage: Usage): StreamChunk {
    return {
      data: this.envelope([], { usage: openAIUsageBlock(usage) }),
      id: this.id,
      usage,
      model: this.model,
      finishReasons: NO_FINISH_REASONS,
      usageOnly: true,
    };
  }
}

let sequence = 0;
/** A chat completion id for providers that send none. */
export function completionId(prefix: string): string {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return `chatcmpl-${prefix}-${Date.now().toString(36)}${sequence.toString(36)}`;
}

/** Strict OpenAI clients (the default) get no extra fields such as reasoning_content. */
export function isStrict(call: UpstreamCall): boolean {
  return call.target.strictOpenAICompliance !== false;
}

/** The chunk builder for one translated stream: a fresh `prefix` id, the requested model, the call's strictness. */
export function chunkBuilder(prefix: string, call: UpstreamCall): ChunkBuilder {
  return new ChunkBuilder(completionId(prefix), call.request.model, isStrict(call));
}
