import type { Usage } from "@switchyard/events";
import { NO_FINISH_REASONS, type StreamChunk } from "./provider.ts";
import { parseJson } from "./shared/errors.ts";
import { openAIUsageBlock } from "./shared/usage.ts";

/**
 * Usage when the upstream reports none: HttpProvider counts it locally (shared/tokens.ts) from the
 * text these helpers gather, and shows the estimate in the bodies and chunks the gateway builds.
 */

/** The message text (tool calls as JSON) of a chat.completion body, parsed. */
export function contentText(body: unknown): string {
  if (typeof body !== "object" || body === null) return "";
  const choices = (body as { choices?: Array<{ message?: { content?: unknown; tool_calls?: unknown } }> }).choices;
  if (!Array.isArray(choices)) return "";
  return choices
    .map((c) => {
      const content = typeof c.message?.content === "string" ? c.message.content : "";
      return c.message?.tool_calls ? content + JSON.stringify(c.message.tool_calls) : content;
    })
    .join("");
}

/**
 * Passes chunks through as they come; a stream that ended cleanly without any usage gets a final
 * usage-only chunk counted locally (estimated). A cut stream throws through untouched.
 */
export async function* withUsage(
  chunks: AsyncIterable<StreamChunk>,
  estimate: (output: string) => Promise<Usage>,
  usageChunk: (usage: Usage, last: StreamChunk | null) => StreamChunk = openAIUsageChunk,
): AsyncGenerator<StreamChunk> {
  let sawUsage = false;
  let output = "";
  let last: StreamChunk | null = null;
  for await (const chunk of chunks) {
    if (reported(chunk.usage) !== null) sawUsage = true;
    else if (chunk.text) output += chunk.text;
    last = chunk;
    yield chunk;
  }
  if (sawUsage) return;
  yield usageChunk(await estimate(output), last);
}

/** The chat.completion.chunk with only (estimated) usage that ends a stream which reported none. */
function openAIUsageChunk(usage: Usage, last: StreamChunk | null): StreamChunk {
  // Once per stream, and only for one without usage: `object` and `created` are not among a chunk's facts.
  const base = last ? (parseJson(last.data) as Record<string, unknown> | null) : null;
  const id = last?.id ?? "chatcmpl-estimated";
  const data = JSON.stringify({
    id,
    object: base?.object ?? "chat.completion.chunk",
    created: base?.created ?? Math.floor(Date.now() / 1000),
    model: base?.model ?? last?.model ?? "",
    choices: [],
    usage: {
      prompt_tokens: usage.input_tokens,
      completion_tokens: usage.output_tokens,
      total_tokens: usage.input_tokens + usage.output_tokens,
    },
  });
  return { data, id, usage, model: last?.model ?? null, finishReasons: NO_FINISH_REASONS, usageOnly: true };
}

/** A body the gateway built shows the usage the event records (an estimate when the provider gave none). */
export function withUsageBlock(body: object, usage: Usage): object {
  const b = body as { object?: unknown; usage?: unknown };
  if (!usage.estimated || b.usage === undefined) return body;
  if (b.object === "list")
    return { ...b, usage: { prompt_tokens: usage.input_tokens, total_tokens: usage.input_tokens } };
  return { ...b, usage: openAIUsageBlock(usage) };
}

/** A usage block of all zeros says nothing: it is counted locally like a missing one. */
export function reported(usage: Usage | null): Usage | null {
  return usage !== null && (usage.input_tokens > 0 || usage.output_tokens > 0) ? usage : null;
}

export function inputText(input: unknown): string {
  if (typeof input === "string") return input;
  if (Array.isArray(input)) return input.map((i) => (typeof i === "string" ? i : "")).join("\n");
  return "";
}

/** The text of an Anthropic Messages body (system and text blocks), for counting input locally. */
export function nativeInputText(body: Record<string, unknown>): string {
  const texts: string[] = [];
  const add = (content: unknown) => {
    if (typeof content === "string") texts.push(content);
    else if (Array.isArray(content))
      for (const block of content as Array<{ text?: unknown }>)
        if (typeof block?.text === "string") texts.push(block.text);
  };
  add(body.system);
  if (Array.isArray(body.messages)) for (const m of body.messages as Array<{ content?: unknown }>) add(m?.content);
  return texts.join("\n");
}
