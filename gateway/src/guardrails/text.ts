/**
 * Where the checked text lives in a request or an answer, and how a mutator's rewrite is written
 * back. Bodies are plain JSON; a rewrite copies what it changes (the parsed request is shared with
 * other attempts and stages) and never mutates in place.
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Which messages a check reads: Portkey reads the last one; `all` reads every message. */
export type MessageScope = "last" | "all";

/** A string inside a body, found by its path, so a rewrite can be written at the same place. */
interface Slot {
  path: readonly (string | number)[];
  text: string;
}

function messageSlots(messages: unknown[], scope: MessageScope, base: (string | number)[]): Slot[] {
  const slots: Slot[] = [];
  const from = scope === "last" ? Math.max(0, messages.length - 1) : 0;
  for (let i = from; i < messages.length; i++) {
    const message = messages[i];
    if (!isObject(message)) continue;
    const content = message.content;
    if (typeof content === "string") slots.push({ path: [...base, i, "content"], text: content });
    else if (Array.isArray(content)) {
      content.forEach((part, p) => {
        if (isObject(part) && part.type === "text" && typeof part.text === "string") {
          slots.push({ path: [...base, i, "content", p, "text"], text: part.text });
        }
      });
    }
  }
  return slots;
}

function stringOrList(value: unknown, scope: MessageScope, key: string): Slot[] {
  if (typeof value === "string") return [{ path: [key], text: value }];
  if (!Array.isArray(value)) return [];
  const from = scope === "last" ? Math.max(0, value.length - 1) : 0;
  const slots: Slot[] = [];
  for (let i = from; i < value.length; i++) {
    const item = value[i];
    if (typeof item === "string") slots.push({ path: [key, i], text: item });
  }
  return slots;
}

/**
 * The request's checked strings: chat `messages` (string content or text parts), completions'
 * `prompt`, embeddings' `input`. `/v1/messages` bodies carry the native request under `native`
 * (its system prompt is outside `messages`, and is read with `all`).
 */
export function requestSlots(body: unknown, scope: MessageScope): Slot[] {
  if (!isObject(body)) return [];
  if (isObject(body.native) && body.native.input !== undefined) return responsesSlots(body.native, scope);
  if (isObject(body.native)) {
    const slots: Slot[] = [];
    if (scope === "all" && typeof body.native.system === "string") {
      slots.push({ path: ["native", "system"], text: body.native.system });
    }
    const messages = body.native.messages;
    return Array.isArray(messages) ? [...slots, ...messageSlots(messages, scope, ["native", "messages"])] : slots;
  }
  if (Array.isArray(body.messages)) return messageSlots(body.messages, scope, ["messages"]);
  if (body.prompt !== undefined) return stringOrList(body.prompt, scope, "prompt");
  if (body.input !== undefined) return stringOrList(body.input, scope, "input");
  return [];
}

/**
 * A /v1/responses request (`native`): `input` as a string, or its message items (string content or
 * input_text parts; the last one, or all with `all`); `instructions` are read with `all`. A rewrite
 * reaches the converted chat request through rewriteSlots, as for /v1/messages.
 */
function responsesSlots(native: Json, scope: MessageScope): Slot[] {
  const slots: Slot[] = [];
  if (scope === "all" && typeof native.instructions === "string") {
    slots.push({ path: ["native", "instructions"], text: native.instructions });
  }
  const input = native.input;
  if (typeof input === "string") return [...slots, { path: ["native", "input"], text: input }];
  if (!Array.isArray(input)) return slots;
  const messages = input.map((item) =>
    isObject(item) && (item.type === undefined || item.type === "message") ? item : null,
  );
  const last = messages.findLastIndex((m) => m !== null);
  messages.forEach((message, i) => {
    if (message === null || (scope === "last" && i !== last)) return;
    if (typeof message.content === "string")
      slots.push({ path: ["native", "input", i, "content"], text: message.content });
    else if (Array.isArray(message.content)) {
      message.content.forEach((part, p) => {
        if (isObject(part) && part.type === "input_text" && typeof part.text === "string") {
          slots.push({ path: ["native", "input", i, "content", p, "text"], text: part.text });
        }
      });
    }
  });
  return slots;
}

/** The answer's checked strings: choices[0] (chat message content, completion text) or Anthropic text blocks. */
export function responseSlots(body: unknown): Slot[] {
  if (!isObject(body)) return [];
  if (Array.isArray(body.choices)) {
    const first = body.choices[0];
    if (!isObject(first)) return [];
    if (isObject(first.message) && typeof first.message.content === "string") {
      return [{ path: ["choices", 0, "message", "content"], text: first.message.content }];
    }
    if (typeof first.text === "string") return [{ path: ["choices", 0, "text"], text: first.text }];
    return [];
  }
  if (Array.isArray(body.output)) {
    // A native /v1/responses answer: the output_text parts of its message items.
    const slots: Slot[] = [];
    body.output.forEach((item, i) => {
      if (!isObject(item) || item.type !== "message" || !Array.isArray(item.content)) return;
      item.content.forEach((part, p) => {
        if (isObject(part) && part.type === "output_text" && typeof part.text === "string") {
          slots.push({ path: ["output", i, "content", p, "text"], text: part.text });
        }
      });
    });
    return slots;
  }
  if (Array.isArray(body.content)) {
    const slots: Slot[] = [];
    body.content.forEach((block, i) => {
      if (isObject(block) && block.type === "text" && typeof block.text === "string") {
        slots.push({ path: ["content", i, "text"], text: block.text });
      }
    });
    return slots;
  }
  return [];
}

/** `body` with `value` written at `path`, copying each container on the way (the original is untouched). */
function withValue(body: unknown, path: readonly (string | number)[], value: string): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(body)) {
    const copy = [...body];
    copy[head as number] = withValue(body[head as number], rest, value);
    return copy;
  }
  const object = isObject(body) ? body : {};
  return { ...object, [head]: withValue(object[head], rest, value) };
}

/**
 * Writes rewritten texts back. For `/v1/messages` the converted chat request (`chat`, sent to
 * non-Anthropic providers) gets the same replacements wherever it holds the same original text.
 */
export function rewriteSlots(body: unknown, slots: readonly Slot[], texts: readonly string[]): unknown {
  let out = body;
  const replaced = new Map<string, string>();
  slots.forEach((slot, i) => {
    const text = texts[i];
    if (text === undefined || text === slot.text) return;
    out = withValue(out, slot.path, text);
    replaced.set(slot.text, text);
  });
  if (replaced.size > 0 && isObject(out) && isObject(out.native) && isObject(out.chat)) {
    const chatSlots = requestSlots({ messages: out.chat.messages }, "all");
    let chat: unknown = out.chat;
    for (const slot of chatSlots) {
      const text = replaced.get(slot.text);
      if (text !== undefined) chat = withValue(chat, slot.path, text);
    }
    out = { ...out, chat };
  }
  return out;
}

export type { Slot };
