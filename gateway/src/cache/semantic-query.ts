/**
 * Which text a semantic lookup embeds, exactly: the LAST message's text when that message is the
 * user's (chat: `role: "user"` with string content or text parts; /v1/messages: the same in
 * Anthropic's shape; /v1/completions: a single string prompt). Everything else — the system prompt,
 * earlier turns, every parameter — stays in the request's partition and must match exactly. A request
 * with no such text (an assistant/tool last turn, an image part, a prompt list, embeddings) gets the
 * exact lookup only.
 */
export interface SemanticQuery {
  text: string;
  /** The body with the embedded text replaced by a placeholder: what the partition is made of. */
  rest: unknown;
}

type Obj = Record<string, unknown>;
const EMBEDDED = "<semantic>";

export function semanticQuery(endpoint: string, body: unknown): SemanticQuery | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Obj;
  if (endpoint === "/v1/completions") {
    return typeof b.prompt === "string" && b.prompt.trim() !== ""
      ? { text: b.prompt, rest: { ...b, prompt: EMBEDDED } }
      : null;
  }
  if (endpoint === "/v1/responses") return responsesQuery(b);
  if (endpoint !== "/v1/chat/completions" && endpoint !== "/v1/messages") return null;
  const messages = b.messages;
  if (!Array.isArray(messages) || messages.length === 0) return null;
  const last = messages[messages.length - 1] as Obj;
  if (last?.role !== "user") return null;
  const text = textOf(last.content);
  if (text === null || text.trim() === "") return null;
  const rest = { ...b, messages: [...messages.slice(0, -1), { ...last, content: EMBEDDED }] };
  return { text, rest };
}

/**
 * /v1/responses: `input` as a string, or its last item when that is the user's message (content a
 * string, or input_text parts). `instructions` and earlier items stay in `rest`, matched exactly.
 */
function responsesQuery(b: Obj): SemanticQuery | null {
  if (typeof b.input === "string") {
    return b.input.trim() === "" ? null : { text: b.input, rest: { ...b, input: EMBEDDED } };
  }
  if (!Array.isArray(b.input) || b.input.length === 0) return null;
  const items = b.input as Obj[];
  const last = items[items.length - 1];
  if (last?.role !== "user" || (last.type !== undefined && last.type !== "message")) return null;
  const text =
    typeof last.content === "string"
      ? last.content
      : Array.isArray(last.content) && (last.content as Obj[]).every((p) => p?.type === "input_text")
        ? (last.content as Obj[]).map((p) => String(p.text)).join("\n")
        : null;
  if (text === null || text.trim() === "") return null;
  return { text, rest: { ...b, input: [...items.slice(0, -1), { ...last, content: EMBEDDED }] } };
}

/** A string, or parts that are all text (joined); null when any part is not text. */
function textOf(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return null;
  const texts: string[] = [];
  for (const part of content as Obj[]) {
    if (part?.type !== "text" || typeof part.text !== "string") return null;
    texts.push(part.text);
  }
  return texts.join("\n");
}
