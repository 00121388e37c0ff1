import type { StreamChunk } from "../providers/provider.ts";

/** Appended where a body was cut, so a reader never mistakes a capped body for the whole one. */
export function truncationMarker(totalChars: number): string {
  return `\n…[truncated by Switchyard: ${totalChars} characters in all]`;
}

interface ToolCall {
  id?: string;
  name?: string;
  arguments: string;
}
interface Choice {
  content: string;
  reasoning: string;
  tools: Map<number, ToolCall>;
  finish: string | null;
}
type ChunkDelta = { index?: number; delta?: Record<string, unknown>; finish_reason?: string | null };

/**
 * Assembles a streamed answer into one OpenAI-shaped chat.completion, as request logs show it, at almost no
 * cost per chunk: a text chunk adds its `text` (the provider already read it off the JSON it parsed); only a
 * chunk carrying tool calls or reasoning, or one without `text`, is parsed again. The id,
 * model, usage and finish reasons come from the chunk's own fields. Stops once the cap is reached.
 * A stream of n > 1 choices is read as one (the gateway's own streams have one choice).
 */
export class StreamAssembler {
  readonly #maxChars: number;
  #size = 0;
  #cut = false;
  #id: string | null = null;
  #model: string | null = null;
  #usage: StreamChunk["usage"] = null;
  readonly #choices = new Map<number, Choice>();

  constructor(maxChars: number) {
    this.#maxChars = maxChars;
  }

  #choice(index: number): Choice {
    let choice = this.#choices.get(index);
    if (!choice) {
      choice = { content: "", reasoning: "", tools: new Map(), finish: null };
      this.#choices.set(index, choice);
    }
    return choice;
  }

  add(chunk: StreamChunk): void {
    this.#id ??= chunk.id;
    this.#model ??= chunk.model;
    if (chunk.usage) this.#usage = chunk.usage;
    const finish = chunk.finishReasons.at(-1);
    if (finish !== undefined) this.#choice(0).finish = finish;
    if (this.#cut) return;
    // A chunk without `text` (not every provider sets it) that may carry content is parsed, as one whose
    // delta mixes tool calls or reasoning into `text`.
    const structured =
      chunk.passThrough === undefined &&
      (chunk.text === undefined
        ? !chunk.usageOnly && chunk.data.includes('"content"')
        : chunk.data.includes('"tool_calls"') || chunk.data.includes('"reasoning'));
    const added = structured ? chunk.data.length : (chunk.text?.length ?? 0);
    if (added === 0) return;
    this.#size += added;
    if (this.#size > this.#maxChars) {
      this.#cut = true;
      return;
    }
    if (structured) this.#addParsed(chunk.data);
    else this.#choice(0).content += chunk.text;
  }

  #addParsed(data: string): void {
    let choices: ChunkDelta[];
    try {
      choices = (JSON.parse(data) as { choices?: ChunkDelta[] }).choices ?? [];
    } catch {
      return;
    }
    for (const c of choices) {
      const choice = this.#choice(c.index ?? 0);
      const delta = c.delta ?? {};
      if (typeof delta.content === "string") choice.content += delta.content;
      if (typeof delta.reasoning_content === "string") choice.reasoning += delta.reasoning_content;
      for (const t of (Array.isArray(delta.tool_calls) ? delta.tool_calls : []) as Record<string, unknown>[]) {
        const index = typeof t.index === "number" ? t.index : 0;
        const call = choice.tools.get(index) ?? { arguments: "" };
        const fn = (t.function ?? {}) as { name?: string; arguments?: string };
        if (typeof t.id === "string") call.id = t.id;
        if (fn.name) call.name = fn.name;
        if (fn.arguments) call.arguments += fn.arguments;
        choice.tools.set(index, call);
      }
    }
  }

  /** The assembled answer, and whether the cap cut it short. */
  finish(): { text: string; truncated: boolean } {
    const choices = [...this.#choices.entries()].map(([index, c]) => ({
      index,
      message: {
        role: "assistant",
        content: c.content,
        ...(c.reasoning ? { reasoning_content: c.reasoning } : {}),
        ...(c.tools.size > 0
          ? {
              tool_calls: [...c.tools.values()].map((t) => ({
                id: t.id,
                type: "function",
                function: { name: t.name, arguments: t.arguments },
              })),
            }
          : {}),
      },
      finish_reason: c.finish,
    }));
    const assembled = JSON.stringify({
      id: this.#id,
      object: "chat.completion",
      model: this.#model,
      choices,
      usage: this.#usage,
      assembled_from_stream: true,
    });
    return this.#cut
      ? { text: assembled + truncationMarker(this.#size), truncated: true }
      : { text: assembled, truncated: false };
  }
}
