import type { StreamChunk } from "../providers/provider.ts";
import type { AnswerFormat } from "./answer.ts";

type Obj = Record<string, unknown>;

/**
 * Assembles a streamed answer, chunk by chunk, into the JSON body the same request would have got
 * without `stream` (chat.completion, text_completion, or Anthropic's message), so a stream is stored
 * once in the one form every later hit is served from. Bounded: past `maxBytes` of chunk data the
 * answer is abandoned (`result()` is null) and nothing is stored.
 */
export class StreamAssembler {
  readonly format: AnswerFormat;
  private readonly maxBytes: number;
  private bytes = 0;
  private failed = false;
  private head: Obj = {};
  private readonly choices = new Map<number, ChoiceParts>();
  private usage: unknown = null;
  // Anthropic: the message from message_start, its blocks, partial tool input JSON per block.
  private message: Obj | null = null;
  private readonly blocks: Obj[] = [];
  private readonly partialJson = new Map<number, string>();

  constructor(format: AnswerFormat, maxBytes: number) {
    this.format = format;
    this.maxBytes = maxBytes;
  }

  add(chunk: StreamChunk): void {
    if (this.failed) return;
    this.bytes += chunk.data.length;
    if (this.bytes > this.maxBytes) {
      this.failed = true;
      return;
    }
    try {
      const json = JSON.parse(chunk.data) as Obj;
      if (this.format === "anthropic") this.addAnthropic(json);
      else this.addOpenAI(json);
    } catch {
      // Not JSON, or a tool input that is not: such a stream is relayed but never stored.
      this.failed = true;
    }
  }

  /** The assembled body's JSON text, or null when the stream could not be assembled. */
  result(): string | null {
    if (this.failed) return null;
    if (this.format === "anthropic") {
      if (this.message === null) return null;
      return JSON.stringify({ ...this.message, content: this.blocks.filter(Boolean) });
    }
    if (this.choices.size === 0) return null;
    const choices = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => (this.format === "text" ? textChoice(index, c) : chatChoice(index, c)));
    const object = this.format === "text" ? "text_completion" : "chat.completion";
    const body: Obj = { ...this.head, object, choices };
    if (this.usage !== null) body.usage = this.usage;
    return JSON.stringify(body);
  }

  private addOpenAI(json: Obj): void {
    for (const key of ["id", "created", "model", "system_fingerprint"]) {
      if (json[key] !== undefined && json[key] !== null) this.head[key] = json[key];
    }
    if (json.usage) this.usage = json.usage;
    for (const raw of (json.choices as Obj[] | undefined) ?? []) {
      const index = typeof raw.index === "number" ? raw.index : 0;
      let c = this.choices.get(index);
      if (!c) {
        c = { content: "", hasContent: false, reasoning: "", tools: new Map(), finish: null };
        this.choices.set(index, c);
      }
      if (raw.finish_reason) c.finish = raw.finish_reason as string;
      if (typeof raw.text === "string") {
        c.content += raw.text;
        c.hasContent = true;
      }
      const delta = (raw.delta ?? {}) as Obj;
      if (typeof delta.content === "string") {
        c.content += delta.content;
        c.hasContent = true;
      }
      if (typeof delta.reasoning_content === "string") c.reasoning += delta.reasoning_content;
      for (const call of (delta.tool_calls as Obj[] | undefined) ?? []) {
        const at = typeof call.index === "number" ? call.index : 0;
        const fn = (call.function ?? {}) as Obj;
        const tool = c.tools.get(at) ?? { id: "", name: "", args: "" };
        if (typeof call.id === "string") tool.id = call.id;
        if (typeof fn.name === "string") tool.name += fn.name;
        if (typeof fn.arguments === "string") tool.args += fn.arguments;
        c.tools.set(at, tool);
      }
    }
  }

  private addAnthropic(json: Obj): void {
    const index = typeof json.index === "number" ? json.index : -1;
    switch (json.type) {
      case "message_start":
        this.message = { ...(json.message as Obj) };
        return;
      case "content_block_start":
        if (index >= 0) this.blocks[index] = { ...(json.content_block as Obj) };
        return;
      case "content_block_delta": {
        const block = this.blocks[index];
        const delta = (json.delta ?? {}) as Obj;
        if (!block) return;
        if (delta.type === "text_delta") block.text = `${block.text ?? ""}${delta.text ?? ""}`;
        else if (delta.type === "thinking_delta") block.thinking = `${block.thinking ?? ""}${delta.thinking ?? ""}`;
        else if (delta.type === "signature_delta") block.signature = `${block.signature ?? ""}${delta.signature ?? ""}`;
        else if (delta.type === "input_json_delta")
          this.partialJson.set(index, (this.partialJson.get(index) ?? "") + String(delta.partial_json ?? ""));
        return;
      }
      case "content_block_stop": {
        const partial = this.partialJson.get(index);
        const block = this.blocks[index];
        if (partial !== undefined && block) block.input = partial === "" ? {} : JSON.parse(partial);
        return;
      }
      case "message_delta":
        if (this.message) {
          Object.assign(this.message, json.delta as Obj);
          this.message.usage = { ...(this.message.usage as Obj), ...(json.usage as Obj) };
        }
        return;
      default:
        return;
    }
  }
}

interface ChoiceParts {
  content: string;
  hasContent: boolean;
  reasoning: string;
  tools: Map<number, { id: string; name: string; args: string }>;
  finish: string | null;
}

function chatChoice(index: number, c: ChoiceParts): Obj {
  const message: Obj = { role: "assistant", content: c.hasContent ? c.content : null };
  if (c.reasoning) message.reasoning_content = c.reasoning;
  if (c.tools.size > 0) {
    message.tool_calls = [...c.tools.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, t]) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.args } }));
  }
  return { index, message, logprobs: null, finish_reason: c.finish };
}

function textChoice(index: number, c: ChoiceParts): Obj {
  return { text: c.content, index, logprobs: null, finish_reason: c.finish };
}
