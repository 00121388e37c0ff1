import type { StreamChunk } from "../providers/provider.ts";
import { responseSlots } from "./text.ts";

/**
 * The text of a streamed answer as output checks read it, and a rewrite written back into the
 * stream's chunks. Three stream forms carry text:
 * - chat.completion.chunk (chat, completions, and every converted /v1/messages or /v1/responses
 *   stream): choice 0's `delta.content` (or a completion's `text`);
 * - Anthropic's own frames (native /v1/messages): `content_block_delta` / `text_delta`, one text per
 *   content block;
 * - OpenAI Responses frames (native /v1/responses): `response.output_text.delta`, one text per
 *   output part, repeated whole in the `.done` events and the final `response.completed` snapshot.
 * Each text (a slot) is assembled into the answer shape text.ts reads for JSON answers, so a check
 * sees a stream exactly as it would see the same answer as JSON. Tool-call arguments and thinking are
 * not text (as for JSON answers).
 */

type Obj = Record<string, unknown>;
type Kind = "chat" | "anthropic" | "responses";

interface Piece {
  kind: Kind;
  key: string;
  text: string;
}

const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function parse(data: string): Obj | null {
  try {
    const value: unknown = JSON.parse(data);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/** Choice 0 of a chat chunk (by its `index`, not its position: n > 1 streams interleave choices). */
function firstChoice(event: Obj): Obj | null {
  if (!Array.isArray(event.choices)) return null;
  for (const c of event.choices) if (isObject(c) && (c.index ?? 0) === 0) return c;
  return null;
}

function chatText(choice: Obj): string | undefined {
  const delta = choice.delta;
  if (isObject(delta) && typeof delta.content === "string") return delta.content;
  return typeof choice.text === "string" ? choice.text : undefined;
}

/** The text a chunk adds, and where it goes; null when it adds none. */
function pieceOf(chunk: StreamChunk): Piece | null {
  if (chunk.usageOnly) return null;
  if (chunk.passThrough !== undefined) {
    // Native providers set `text` on their delta chunks only: the rest are never parsed here.
    if (chunk.text === undefined) return null;
    const event = parse(chunk.data);
    const delta = event?.delta;
    if (event?.type === "content_block_delta" && isObject(delta) && delta.type === "text_delta") {
      return typeof delta.text === "string" ? { kind: "anthropic", key: String(event.index), text: delta.text } : null;
    }
    if (event?.type === "response.output_text.delta" && typeof delta === "string") {
      return { kind: "responses", key: `${String(event.output_index)}:${String(event.content_index)}`, text: delta };
    }
    return null;
  }
  if (!chunk.data.includes('"content"') && !chunk.data.includes('"text"')) return null;
  const event = parse(chunk.data);
  const choice = event === null ? null : firstChoice(event);
  const text = choice === null ? undefined : chatText(choice);
  return text ? { kind: "chat", key: "0", text } : null;
}

/** The frame with its data line replaced (its `event:` line and the rest kept). */
function reframe(raw: string, data: string): string {
  let put = false;
  const lines: string[] = [];
  for (const line of raw.split("\n")) {
    if (!line.startsWith("data:")) lines.push(line);
    else if (!put) {
      lines.push(`data: ${data}`);
      put = true;
    }
  }
  return lines.join("\n");
}

/** Every string equal to a key of `map` replaced by its value (copies only what changes). */
function replaceDeep(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") return map.get(value) ?? value;
  if (Array.isArray(value)) {
    const out = value.map((v) => replaceDeep(v, map));
    return out.some((v, i) => v !== value[i]) ? out : value;
  }
  if (!isObject(value)) return value;
  let out: Obj | null = null;
  for (const [k, v] of Object.entries(value)) {
    const r = replaceDeep(v, map);
    if (r === v) continue;
    if (out === null) out = { ...value };
    out[k] = r;
  }
  return out ?? value;
}

export class StreamText {
  #kind: Kind = "chat";
  readonly #keys: string[] = [];
  readonly #texts: string[] = [];
  /** Held streams only: which chunk added which slot's text (chunk index → slot). */
  readonly #pieces = new Map<number, number>();
  #seen = 0;

  /** Reads a chunk's text; `keep` when the chunk stays for a rewrite (a held stream). */
  add(chunk: StreamChunk, keep: boolean): void {
    const index = this.#seen++;
    const piece = pieceOf(chunk);
    if (piece === null) return;
    this.#kind = piece.kind;
    let slot = this.#keys.indexOf(piece.key);
    if (slot < 0) {
      slot = this.#keys.push(piece.key) - 1;
      this.#texts.push("");
    }
    this.#texts[slot] += piece.text;
    if (keep) this.#pieces.set(index, slot);
  }

  /** The answer as output checks read it: the JSON shape this stream's endpoint answers with. */
  assembled(): unknown {
    const texts = this.#texts;
    if (this.#kind === "anthropic") {
      return { type: "message", role: "assistant", content: texts.map((text) => ({ type: "text", text })) };
    }
    if (this.#kind === "responses") {
      const content = texts.map((text) => ({ type: "output_text", text }));
      return { object: "response", output: [{ type: "message", role: "assistant", content }] };
    }
    const content = texts[0] ?? "";
    return { object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content } }] };
  }

  /**
   * The held chunks with the hooks' rewrite (`body`, the assembled answer as rewritten) written in:
   * a slot's first chunk carries its whole new text, its later chunks none (a redacted value split
   * across chunks is gone from all of them); Responses' `.done` events and snapshot get the same text.
   */
  rewrite(chunks: readonly StreamChunk[], body: unknown): StreamChunk[] {
    const now = responseSlots(body).map((s) => s.text);
    // A whole-answer rewrite of another shape (a webhook's): its text, all in the first slot.
    const texts = now.length === this.#texts.length ? now : [now.join("\n"), ...this.#texts.slice(1).map(() => "")];
    const changed = new Map<string, string>();
    this.#texts.forEach((old, i) => {
      if (texts[i] !== old && old !== "") changed.set(old, texts[i] as string);
    });
    if (changed.size === 0) return [...chunks];
    const first = new Set<number>();
    return chunks.map((chunk, index) => {
      const slot = this.#pieces.get(index);
      if (slot === undefined) {
        return this.#kind === "responses" && chunk.passThrough ? snapshotRewritten(chunk, changed) : chunk;
      }
      const old = this.#texts[slot] as string;
      const text = texts[slot] as string;
      if (text === old) return chunk;
      const isFirst = !first.has(slot);
      first.add(slot);
      return withText(chunk, isFirst ? text : "");
    });
  }
}

/** A text chunk carrying `text` instead of its own (an emptied native frame is not sent at all). */
function withText(chunk: StreamChunk, text: string): StreamChunk {
  const event = parse(chunk.data) as Obj;
  const out: StreamChunk = { ...chunk };
  if (text === "") delete out.text;
  else out.text = text;
  if (chunk.passThrough !== undefined) {
    if (event.type === "content_block_delta") event.delta = { ...(event.delta as Obj), text };
    else event.delta = text;
    out.data = JSON.stringify(event);
    out.passThrough = text === "" ? "" : reframe(chunk.passThrough, out.data);
    return out;
  }
  const choice = firstChoice(event) as Obj;
  if (isObject(choice.delta) && typeof choice.delta.content === "string")
    choice.delta = { ...choice.delta, content: text };
  else choice.text = text;
  out.data = JSON.stringify(event);
  return out;
}

/** A Responses frame that repeats the text (`.done` events, the final snapshot) with the rewritten text. */
function snapshotRewritten(chunk: StreamChunk, changed: ReadonlyMap<string, string>): StreamChunk {
  const event = parse(chunk.data);
  if (event === null || chunk.passThrough === "" || chunk.passThrough === undefined) return chunk;
  const out = replaceDeep(event, changed);
  if (out === event) return chunk;
  const data = JSON.stringify(out);
  return { ...chunk, data, passThrough: reframe(chunk.passThrough, data) };
}
