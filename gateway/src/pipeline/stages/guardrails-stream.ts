import { hookResultsWire } from "../../guardrails/hook-results.ts";
import type { PreparedHook } from "../../guardrails/hooks.ts";
import type { CheckContext, HookResult } from "../../guardrails/run-hooks.ts";
import type { StreamChunk } from "../../providers/provider.ts";
import type { Reply, StreamReply } from "../reply.ts";
import type { AttemptContext } from "../stage.ts";
import { denied, type GuardrailDeps, nonStrict, runSide } from "./guardrails-side.ts";

/**
 * Guardrails on a streamed answer, better than Portkey's (which checks no text, or reports after
 * `[DONE]` only):
 * - input hook results: with `x-portkey-strict-open-ai-compliance: false`, the first SSE event is
 *   `{"hook_results": {...}}`; a failed input hook without deny makes the stream's status 246.
 * - output hooks run on the assembled text. With `deny` on any of them the stream is held back
 *   (the documented latency trade-off: the client's first byte waits for the whole answer), checked,
 *   then sent as it came or replaced by a 446. Without deny the chunks flow at once and the results
 *   arrive as a last event before `[DONE]` (non-strict clients only); they always reach the event.
 * /v1/messages clients get no extra events (Anthropic's stream has no place for them).
 */

export interface StreamHooks {
  before: HookResult[];
  beforeFailed: boolean;
  after: readonly PreparedHook[];
  context: CheckContext;
  deps: GuardrailDeps;
}

function resultsChunk(before: HookResult[], after: HookResult[]): StreamChunk {
  const wire = hookResultsWire(before, after);
  return {
    data: JSON.stringify({ hook_results: wire }),
    id: null,
    usage: null,
    model: null,
    finishReasons: [],
    usageOnly: false,
  };
}

/** The text a chunk adds: the provider's fact, else read off the OpenAI chunk (builders that leave `text` unset). */
function chunkText(chunk: StreamChunk): string {
  if (chunk.text !== undefined) return chunk.text;
  if (chunk.usageOnly || !chunk.data.includes('"content"')) return "";
  try {
    const parsed = JSON.parse(chunk.data) as { choices?: Array<{ delta?: { content?: unknown } }> };
    const content = parsed.choices?.[0]?.delta?.content;
    return typeof content === "string" ? content : "";
  } catch {
    return "";
  }
}

/** The answer as output checks read it: one chat completion holding the streamed text. */
function assembled(text: string): unknown {
  return { object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: text } }] };
}

export async function streamWithOutputHooks(a: AttemptContext, reply: StreamReply, h: StreamHooks): Promise<Reply> {
  const ok = reply.status >= 200 && reply.status < 300;
  const extras = nonStrict(a) && !a.request.endpoint.endpoint.endsWith("messages");
  const status = ok && h.beforeFailed ? 246 : reply.status;
  const inline = ok ? h.after.filter((hook) => !hook.async) : [];
  const hooks = ok ? h.after : [];
  const lead = extras && h.before.length > 0 ? [resultsChunk(h.before, [])] : [];

  if (inline.some((hook) => hook.deny)) {
    // Held back: read the whole answer, check it, then send it or a 446.
    const chunks: StreamChunk[] = [];
    let text = "";
    // The upstream answered in full: a 446 in its place still records what it cost.
    const answered: { usage: StreamChunk["usage"]; model: string | null } = { usage: null, model: null };
    for await (const chunk of reply.chunks) {
      chunks.push(chunk);
      text += chunkText(chunk);
      if (chunk.usage !== null) answered.usage = chunk.usage;
      if (chunk.model !== null) answered.model = chunk.model;
    }
    const run = await runSide(a, hooks, "after", assembled(text), a.body, streamContext(h), h.deps);
    if (run.denied) return denied(h.before, run.results, answered);
    const tail = extras && run.results.length > 0 ? [resultsChunk([], run.results)] : [];
    return { ...reply, status: run.failed ? 246 : status, chunks: replay([...lead, ...chunks, ...tail]) };
  }
  if (hooks.length === 0 && lead.length === 0) return status === reply.status ? reply : { ...reply, status };
  return { ...reply, status, chunks: checkedAfter(a, reply.chunks, lead, hooks, h, extras) };
}

const streamContext = (h: StreamHooks): CheckContext => ({ ...h.context, responseStatus: 200 });

async function* replay(chunks: readonly StreamChunk[]): AsyncGenerator<StreamChunk, void, undefined> {
  yield* chunks;
}

/** Chunks flow as they come; at the end the output hooks run on the text and may add a results event. */
async function* checkedAfter(
  a: AttemptContext,
  source: AsyncIterable<StreamChunk>,
  lead: StreamChunk[],
  hooks: readonly PreparedHook[],
  h: StreamHooks,
  extras: boolean,
): AsyncGenerator<StreamChunk, void, undefined> {
  yield* lead;
  let text = "";
  for await (const chunk of source) {
    text += chunkText(chunk);
    yield chunk;
  }
  if (hooks.length === 0) return;
  const run = await runSide(a, hooks, "after", assembled(text), a.body, streamContext(h), h.deps);
  if (extras && run.results.length > 0) yield resultsChunk([], run.results);
}
