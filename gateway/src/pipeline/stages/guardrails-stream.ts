import { hookResultsWire } from "../../guardrails/hook-results.ts";
import type { PreparedHook } from "../../guardrails/hooks.ts";
import type { CheckContext, HookResult } from "../../guardrails/run-hooks.ts";
import { StreamText } from "../../guardrails/stream-text.ts";
import type { StreamChunk } from "../../providers/provider.ts";
import type { Reply, StreamReply } from "../reply.ts";
import type { AttemptContext } from "../stage.ts";
import { denied, type GuardrailDeps, nonStrict, runSide } from "./guardrails-side.ts";

/**
 * Guardrails on a streamed answer, better than Portkey's (which checks no text, or reports after
 * `[DONE]` only):
 * - input hook results: with `x-portkey-strict-open-ai-compliance: false`, the first SSE event is
 *   `{"hook_results": {...}}` (/v1/messages: an `event: hook_results` frame); a failed input hook
 *   without deny makes the stream's status 246. /v1/responses streams get no extra events.
 * - output hooks run on the assembled text (../../guardrails/stream-text.ts). When one of them may
 *   deny or rewrite (`deny`, a `mutator`, regexReplace, pii with `redact`) the stream is held back
 *   (the documented latency trade-off: the client's first byte waits for the whole answer),
 *   checked, then sent as it came, sent rewritten, or replaced by a 446. A rewrite is never applied
 *   chunk by chunk: a value split across chunks (`jo@exa` | `mple.com`) would get through. Without
 *   either the chunks flow at once and the results arrive as a last event (non-strict clients
 *   only); they always reach the event.
 */

export interface StreamHooks {
  before: HookResult[];
  beforeFailed: boolean;
  after: readonly PreparedHook[];
  context: CheckContext;
  deps: GuardrailDeps;
}

/** The results as an extra SSE event: a data-only chunk, or on /v1/messages an Anthropic-style named event. */
function resultsChunk(before: HookResult[], after: HookResult[], anthropic: boolean): StreamChunk {
  const hookResults = hookResultsWire(before, after);
  // Anthropic's events all carry their `type`; chat chunks get Portkey's bare object.
  const data = JSON.stringify(
    anthropic ? { type: "hook_results", hook_results: hookResults } : { hook_results: hookResults },
  );
  return {
    data,
    ...(anthropic ? { passThrough: `event: hook_results\ndata: ${data}\n\n` } : {}),
    id: null,
    usage: null,
    model: null,
    finishReasons: [],
    usageOnly: false,
  };
}

export async function streamWithOutputHooks(a: AttemptContext, reply: StreamReply, h: StreamHooks): Promise<Reply> {
  const ok = reply.status >= 200 && reply.status < 300;
  const endpoint = a.request.endpoint.endpoint;
  const anthropic = endpoint.endsWith("/messages");
  // /v1/responses streams have no place for them yet (its encoder reads every chunk as chat or as its own frame).
  const extras = nonStrict(a) && !endpoint.endsWith("/responses");
  const status = ok && h.beforeFailed ? 246 : reply.status;
  const inline = ok ? h.after.filter((hook) => !hook.async) : [];
  const hooks = ok ? h.after : [];
  const lead = extras && h.before.length > 0 ? [resultsChunk(h.before, [], anthropic)] : [];

  if (inline.some((hook) => hook.deny || hook.rewrites)) {
    // Held back: read the whole answer, check it, then send it (rewritten or not) or a 446.
    const chunks: StreamChunk[] = [];
    const text = new StreamText();
    // The upstream answered in full: a 446 in its place still records what it cost.
    const answered: { usage: StreamChunk["usage"]; model: string | null } = { usage: null, model: null };
    for await (const chunk of reply.chunks) {
      text.add(chunk, true);
      chunks.push(chunk);
      if (chunk.usage !== null) answered.usage = chunk.usage;
      if (chunk.model !== null) answered.model = chunk.model;
    }
    const assembled = text.assembled();
    const run = await runSide(a, hooks, "after", assembled, a.body, streamContext(h), h.deps);
    if (run.denied) return denied(h.before, run.results, answered);
    const sent = run.body === assembled ? chunks : text.rewrite(chunks, run.body);
    const tail = extras && run.results.length > 0 ? [resultsChunk([], run.results, anthropic)] : [];
    return { ...reply, status: run.failed ? 246 : status, chunks: replay([...lead, ...sent, ...tail]) };
  }
  if (hooks.length === 0 && lead.length === 0) return status === reply.status ? reply : { ...reply, status };
  return { ...reply, status, chunks: checkedAfter(a, reply.chunks, lead, hooks, h, extras ? { anthropic } : null) };
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
  extras: { anthropic: boolean } | null,
): AsyncGenerator<StreamChunk, void, undefined> {
  yield* lead;
  const text = hooks.length > 0 ? new StreamText() : null;
  for await (const chunk of source) {
    text?.add(chunk, false);
    yield chunk;
  }
  if (text === null) return;
  const run = await runSide(a, hooks, "after", text.assembled(), a.body, streamContext(h), h.deps);
  if (extras !== null && run.results.length > 0) yield resultsChunk([], run.results, extras.anthropic);
}
