import { Attr, type Attributes } from "@switchyard/platform";
import type { ChatRequestLike, StreamChunkFacts } from "./types.ts";

/**
 * OpenAI-shaped request and response bodies → GenAI semantic-convention attributes. Content
 * (messages) is converted only when capture is on; everything else is parameters and metadata.
 */

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** gen_ai.request.* from a chat body (model, sampling parameters, stream). */
export function requestAttributes(body: ChatRequestLike): Attributes {
  const a: Attributes = {};
  if (typeof body.model === "string") a[Attr.genAiRequestModel] = body.model;
  const set = (key: string, value: number | undefined) => {
    if (value !== undefined) a[key] = value;
  };
  set(Attr.genAiRequestTemperature, num(body.temperature));
  set(Attr.genAiRequestMaxTokens, num(body.max_completion_tokens) ?? num(body.max_tokens));
  set(Attr.genAiRequestTopP, num(body.top_p));
  set(Attr.genAiRequestTopK, num(body.top_k));
  set(Attr.genAiRequestFrequencyPenalty, num(body.frequency_penalty));
  set(Attr.genAiRequestPresencePenalty, num(body.presence_penalty));
  set(Attr.genAiRequestSeed, num(body.seed));
  const n = num(body.n);
  if (n !== undefined && n !== 1) a[Attr.genAiRequestChoiceCount] = n;
  if (typeof body.stop === "string") a[Attr.genAiRequestStopSequences] = [body.stop];
  else if (Array.isArray(body.stop)) a[Attr.genAiRequestStopSequences] = body.stop.filter((s) => typeof s === "string");
  if (body.stream === true) a[Attr.genAiRequestStream] = true;
  return a;
}

type Part = { type: string; content?: unknown; [key: string]: unknown };
interface ConventionMessage {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

function partsOf(content: unknown, toolCalls?: unknown): Part[] {
  const parts: Part[] = [];
  if (typeof content === "string") parts.push({ type: "text", content });
  else if (Array.isArray(content)) {
    for (const item of content) {
      if (typeof item !== "object" || item === null) continue;
      const p = item as Record<string, unknown>;
      if (p.type === "text" && typeof p.text === "string") parts.push({ type: "text", content: p.text });
      else parts.push({ type: typeof p.type === "string" ? p.type : "unknown" });
    }
  }
  if (Array.isArray(toolCalls)) {
    for (const call of toolCalls) {
      const c = call as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
      parts.push({ type: "tool_call", id: c.id, name: c.function?.name, arguments: c.function?.arguments });
    }
  }
  return parts;
}

/** gen_ai.input.messages (JSON, the convention's role + parts shape) from OpenAI chat messages. */
export function inputMessages(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const out: ConventionMessage[] = messages.map((m) => {
    const msg = (m ?? {}) as { role?: unknown; content?: unknown; tool_calls?: unknown };
    return { role: typeof msg.role === "string" ? msg.role : "user", parts: partsOf(msg.content, msg.tool_calls) };
  });
  return JSON.stringify(out);
}

/** What a response says about itself: id, model, finish reasons and (for capture) its choices. */
export interface ResponseFacts {
  id: string | null;
  model: string | null;
  finishReasons: string[];
  /** gen_ai.output.messages JSON; only built when asked for. */
  outputMessages?: string;
}

/**
 * `"id"` as the body's first key (how OpenAI, Anthropic and the gateway's own renderers write it), and
 * every `finish_reason` / `stop_reason` key. A match must start right after `{` or `,`: inside a JSON
 * string every quote is escaped (`\"`), so text in message content can never look like these keys.
 */
const FIRST_ID = /^\s*\{\s*"id"\s*:\s*"((?:[^"\\]|\\.)*)"/;
const FINISH_REASON = /[{,]\s*"(?:finish_reason|stop_reason)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
const MODEL = /[{,]\s*"model"\s*:\s*"((?:[^"\\]|\\.)*)"/;

/**
 * Facts from a chat.completion (or Anthropic message) JSON body; null when it is not one. Without
 * content capture the body is scanned, not parsed: this runs for every traced request.
 */
export function responseFacts(body: Buffer | string, withContent: boolean): ResponseFacts | null {
  const text = typeof body === "string" ? body : body.toString("utf8");
  if (withContent) return parsedResponseFacts(text, true);
  const id = FIRST_ID.exec(text)?.[1];
  if (id === undefined) return parsedResponseFacts(text, false);
  const finishReasons: string[] = [];
  for (const match of text.matchAll(FINISH_REASON)) finishReasons.push(match[1]!);
  return { id, model: MODEL.exec(text)?.[1] ?? null, finishReasons };
}

function parsedResponseFacts(text: string, withContent: boolean): ResponseFacts | null {
  let json: { id?: unknown; model?: unknown; choices?: unknown; stop_reason?: unknown };
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null) return null;
  const choices = Array.isArray(json.choices) ? (json.choices as Record<string, unknown>[]) : [];
  const facts: ResponseFacts = {
    id: typeof json.id === "string" ? json.id : null,
    model: typeof json.model === "string" ? json.model : null,
    finishReasons: choices.map((c) => c?.finish_reason).filter((r): r is string => typeof r === "string"),
  };
  if (typeof json.stop_reason === "string") facts.finishReasons.push(json.stop_reason);
  if (!withContent) return facts;
  const out: ConventionMessage[] = choices.map((c) => {
    const message = (c?.message ?? {}) as { role?: unknown; content?: unknown; tool_calls?: unknown };
    const m: ConventionMessage = {
      role: typeof message.role === "string" ? message.role : "assistant",
      parts: partsOf(message.content, message.tool_calls),
    };
    if (typeof c?.finish_reason === "string") m.finish_reason = c.finish_reason;
    return m;
  });
  facts.outputMessages = JSON.stringify(out);
  return facts;
}

/** Most characters of streamed output kept per choice for capture (spans are not a transcript store). */
const STREAM_CAPTURE_MAX = 64 * 1024;

/**
 * Collects response facts from stream chunks as they are relayed. Id, model and finish reasons come
 * as the provider gave them (no parsing: this runs for every chunk of every traced stream); only
 * content capture parses a chunk's JSON, for each choice's text by its index (`StreamChunk.text`
 * joins all choices and includes tool arguments, so it cannot stand in).
 */
export class StreamFacts {
  id: string | null = null;
  model: string | null = null;
  readonly finishReasons: string[] = [];
  readonly #text: string[] = [];
  readonly #capture: boolean;

  constructor(capture: boolean) {
    this.#capture = capture;
  }

  add(chunk: StreamChunkFacts): void {
    if (this.id === null) this.id = chunk.id;
    if (chunk.model !== null) this.model = chunk.model;
    for (const reason of chunk.finishReasons) this.finishReasons.push(reason);
    if (this.#capture) this.#captureText(chunk.data);
  }

  #captureText(data: string): void {
    let chunk: { choices?: unknown };
    try {
      chunk = JSON.parse(data);
    } catch {
      return;
    }
    if (!Array.isArray(chunk?.choices)) return;
    for (const choice of chunk.choices as { index?: unknown; delta?: { content?: unknown } }[]) {
      if (typeof choice?.delta?.content !== "string") continue;
      const i = typeof choice.index === "number" ? choice.index : 0;
      const current = this.#text[i] ?? "";
      if (current.length < STREAM_CAPTURE_MAX)
        this.#text[i] = (current + choice.delta.content).slice(0, STREAM_CAPTURE_MAX);
    }
  }

  facts(): ResponseFacts {
    const facts: ResponseFacts = { id: this.id, model: this.model, finishReasons: this.finishReasons };
    if (this.#capture) {
      facts.outputMessages = JSON.stringify(
        this.#text.map((text, i) => {
          const m: ConventionMessage = { role: "assistant", parts: [{ type: "text", content: text ?? "" }] };
          const reason = this.finishReasons[i];
          if (reason !== undefined) m.finish_reason = reason;
          return m;
        }),
      );
    }
    return facts;
  }
}
