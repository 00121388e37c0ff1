import type { IncomingMessage } from "node:http";

/**
 * What every fake dialect shares with the fake server: the provider-neutral request a dialect reads
 * back (`CanonicalRequest`), the reply plan, usage totals, the `Dialect` interface, and small helpers.
 * Re-exported by provider-fake.ts, where tests and dialects import them from.
 */
export interface CanonicalMessage {
  role: "user" | "assistant" | "tool";
  text: string;
  /** Image references: `data:<mime>;base64,...` or an http(s) URL. */
  images: string[];
  toolCalls: Array<{ id: string; name: string; args: unknown }>;
  toolResults: Array<{ id: string; text: string }>;
}

export interface CanonicalRequest {
  model: string;
  stream: boolean;
  system: string | null;
  messages: CanonicalMessage[];
  tools: string[];
  jsonMode: boolean;
  maxTokens: number | null;
  stop: string[];
}

/** What the fake answers: text (streamed word by word) or one tool call. */
export type ReplyPlan = { kind: "text"; text: string } | { kind: "tool"; id: string; name: string; args: string };

/** Usage the fakes report, in event terms (input includes cache read/write; output includes reasoning). */
export interface FakeUsageTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export const FAKE_USAGE: FakeUsageTotals = { input: 42, output: 17, cacheRead: 10, cacheWrite: 4, reasoning: 3 };
export const FAKE_TEXT = "Hello from the fake upstream.";
export const FAKE_TOOL_ARGS = '{"city":"Paris"}';
export const UNKNOWN_MODEL = "does-not-exist";

export interface RouteMatch {
  model: string;
  stream: boolean;
  kind: "chat" | "embeddings" | "completions" | "responses";
}

export interface DialectResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export interface Dialect {
  /** Which request this is, or null for a 404. */
  match(method: string, url: URL, body: Record<string, unknown>): RouteMatch | null;
  /** An error (401 without credentials, 400 for invalid input) the real API would answer with. */
  check(
    req: IncomingMessage,
    url: URL,
    body: Record<string, unknown>,
    raw: string,
    match: RouteMatch,
  ): DialectResponse | null;
  parse(body: Record<string, unknown>, match: RouteMatch): CanonicalRequest;
  json(plan: ReplyPlan, match: RouteMatch, usage: FakeUsageTotals | null, body: Record<string, unknown>): object;
  /** Stream events, each written as one write (SSE text or a binary frame). */
  events(
    plan: ReplyPlan,
    match: RouteMatch,
    usage: FakeUsageTotals | null,
    body: Record<string, unknown>,
  ): Array<string | Uint8Array>;
  streamContentType: string;
  error(status: number, message: string): DialectResponse;
  /** The host also answers OpenAI's images and audio endpoints (dialects/openai-media.ts). */
  media?: boolean;
  /** Requests answered from the URL alone, without a body (GET / DELETE of a stored response). */
  direct?(method: string, url: URL): DialectResponse | null;
  embeddings?(body: Record<string, unknown>, match: RouteMatch): object;
  completions?(body: Record<string, unknown>, match: RouteMatch, usage: FakeUsageTotals | null): object;
}

/** The reply a fake gives a request: a tool call when tools are offered and none answered yet, etc. */
export function planReply(request: CanonicalRequest): ReplyPlan {
  const last = request.messages[request.messages.length - 1];
  const toolResult = last?.toolResults[0];
  if (toolResult) return { kind: "text", text: `The tool said: ${toolResult.text}` };
  if (request.tools.length > 0)
    return { kind: "tool", id: "call_fake_1", name: request.tools[0]!, args: FAKE_TOOL_ARGS };
  if (request.jsonMode) return { kind: "text", text: '{"ok": true, "source": "fake"}' };
  if (last && last.images.length > 0) return { kind: "text", text: `I see ${last.images.length} image(s).` };
  return { kind: "text", text: FAKE_TEXT };
}

/** Splits a reply into stream pieces (words, keeping spaces). */
export function words(text: string): string[] {
  return text.split(/(?<= )/);
}

/** Strings of a JSON-ish value, for tool results given as blocks. */
export function flatText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(flatText).join("");
  if (typeof value === "object" && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v.text === "string") return v.text;
    if (v.json !== undefined) return JSON.stringify(v.json);
    if (v.content !== undefined) return flatText(v.content);
    return JSON.stringify(v);
  }
  return value === undefined || value === null ? "" : String(value);
}

export function emptyMessage(role: CanonicalMessage["role"]): CanonicalMessage {
  return { role, text: "", images: [], toolCalls: [], toolResults: [] };
}

/** An SSE event with an optional `event:` name. */
export function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}
