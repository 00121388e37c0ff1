import { setTimeout as delay } from "node:timers/promises";
import type { Usage } from "@switchyard/events";
import type { ChatCompletionRequest } from "../../schemas/chat.ts";
import {
  type CompletionResult,
  NO_CAPABILITIES,
  NO_FINISH_REASONS,
  type Provider,
  type StreamChunk,
  type StreamOpenResult,
  type UpstreamCall,
} from "../provider.ts";

export interface MockProviderOptions {
  /** Simulated upstream latency before the first token, for demos and load tests. */
  latencyMs: number;
}

/** Rough tokenizer stand-in: ~4 characters per token plus per-message framing, like OpenAI's counts. */
function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join(" ");
  }
  return "";
}

/** Deterministic reply: same request, same words, same usage. */
export function mockReply(request: ChatCompletionRequest): { text: string; usage: Usage } {
  const last = [...request.messages].reverse().find((m) => m.role === "user");
  const prompt = messageText(last?.content).trim().slice(0, 60);
  const text = `This is a mock completion from Switchyard for model ${request.model}. You said: "${prompt}"`;
  const inputTokens = request.messages.reduce((sum, m) => sum + 4 + approxTokens(messageText(m.content)), 3);
  const usage: Usage = {
    input_tokens: inputTokens,
    output_tokens: approxTokens(text),
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    estimated: false,
  };
  return { text, usage };
}

function openAIUsage(usage: Usage) {
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.input_tokens + usage.output_tokens,
  };
}

/** An in-process provider that needs no network and no key: demos, smoke tests and load tests. */
export class MockProvider implements Provider {
  readonly id = "mock";
  readonly capabilities = { ...NO_CAPABILITIES, chat: true, streaming: true };
  readonly auth = { description: "none (in-process, deterministic replies)", requiresKey: false };
  readonly models = ["mock-model"];
  private readonly options: MockProviderOptions;
  private sequence = 0;

  constructor(options: MockProviderOptions) {
    this.options = options;
  }

  validateTarget(): null {
    return null;
  }

  private async wait(signal: AbortSignal): Promise<void> {
    if (this.options.latencyMs > 0) await delay(this.options.latencyMs, undefined, { signal });
  }

  private completionId(): string {
    this.sequence += 1;
    return `chatcmpl-mock-${this.sequence.toString(36)}`;
  }

  async complete(call: UpstreamCall): Promise<CompletionResult> {
    await this.wait(call.signal);
    const { text, usage } = mockReply(call.request);
    const body = {
      id: this.completionId(),
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: call.request.model,
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop", logprobs: null }],
      usage: openAIUsage(usage),
    };
    return {
      status: 200,
      headers: {},
      body: Buffer.from(JSON.stringify(body)),
      usage,
      model: call.request.model,
      failure: null,
      responseId: body.id,
      finishReasons: ["stop"],
    };
  }

  async stream(call: UpstreamCall): Promise<StreamOpenResult> {
    await this.wait(call.signal);
    return { ok: true, status: 200, headers: {}, chunks: this.chunks(call.request) };
  }

  private async *chunks(request: ChatCompletionRequest): AsyncGenerator<StreamChunk> {
    const { text, usage } = mockReply(request);
    const id = this.completionId();
    const model = request.model;
    const base = { id, object: "chat.completion.chunk", created: 0, model };
    const chunk = (choices: unknown[], extra: object = {}) => JSON.stringify({ ...base, choices, ...extra });
    const facts = { id, usage: null, model, finishReasons: NO_FINISH_REASONS, usageOnly: false };
    yield { ...facts, data: chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]) };
    for (const word of text.split(/(?<= )/)) {
      yield { ...facts, data: chunk([{ index: 0, delta: { content: word }, finish_reason: null }]) };
    }
    yield { ...facts, data: chunk([{ index: 0, delta: {}, finish_reason: "stop" }]), finishReasons: ["stop"] };
    yield { ...facts, data: chunk([], { usage: openAIUsage(usage) }), usage, usageOnly: true };
  }
}
