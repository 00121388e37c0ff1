import type { ChatCompletionRequest } from "../../schemas/chat.ts";
import { parseDataUrl } from "./capabilities.ts";
import { RequestRejected } from "./rejected.ts";

/**
 * Reading an OpenAI chat request in provider-neutral pieces, for the adapters that translate
 * it (anthropic, google, bedrock, cohere): system text, content parts, tool calls and tool
 * definitions, stop sequences, max tokens, tool choice, JSON mode.
 */
export type Part =
  | { kind: "text"; text: string }
  | { kind: "image"; url: string; data: { mediaType: string; data: string } | null; param: string };

export interface ToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface ToolDef {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

type Msg = ChatCompletionRequest["messages"][number] & {
  tool_calls?: Array<{ id?: string; type?: string; function?: { name?: string; arguments?: string } }>;
  tool_call_id?: string;
  name?: string;
};

export function messagesOf(request: ChatCompletionRequest): Msg[] {
  return request.messages as Msg[];
}

export function partsOf(content: unknown, messageIndex: number): Part[] {
  if (typeof content === "string") return content.length > 0 ? [{ kind: "text", text: content }] : [];
  if (!Array.isArray(content)) return [];
  const parts: Part[] = [];
  content.forEach((p: Record<string, unknown>, j) => {
    if (p.type === "text" && typeof p.text === "string") parts.push({ kind: "text", text: p.text });
    else if (p.type === "image_url") {
      const image = p.image_url as { url?: unknown } | string | undefined;
      const url = typeof image === "string" ? image : typeof image?.url === "string" ? image.url : "";
      parts.push({
        kind: "image",
        url,
        data: parseDataUrl(url),
        param: `messages.${messageIndex}.content.${j}.image_url`,
      });
    }
  });
  return parts;
}

export function textOf(content: unknown): string {
  return partsOf(content, 0)
    .map((p) => (p.kind === "text" ? p.text : ""))
    .join("");
}

/** System and developer messages, in order, as text; with `emulateJson`, plus the JSON-mode instruction. */
export function systemText(request: ChatCompletionRequest, emulateJson = false): string | null {
  const texts = messagesOf(request)
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => textOf(m.content))
    .filter((t) => t.length > 0);
  const json = emulateJson ? jsonInstruction(request) : null;
  if (json) texts.push(json);
  return texts.length > 0 ? texts.join("\n\n") : null;
}

export function toolCallsOf(message: Msg, index: number): ToolCall[] {
  return (message.tool_calls ?? []).map((call, j) => {
    const raw = call.function?.arguments ?? "{}";
    let args: unknown;
    try {
      args = raw.trim() === "" ? {} : JSON.parse(raw);
    } catch {
      throw new RequestRejected(
        "tool call arguments must be a JSON object",
        `messages.${index}.tool_calls.${j}.function.arguments`,
        "invalid_tool_arguments",
      );
    }
    return {
      id: call.id ?? `call_${index}_${j}`,
      name: call.function?.name ?? "",
      args: typeof args === "object" && args !== null ? (args as Record<string, unknown>) : { value: args },
    };
  });
}

export function toolsOf(request: ChatCompletionRequest): ToolDef[] {
  const tools = (request as { tools?: Array<{ type?: string; function?: Record<string, unknown> }> }).tools ?? [];
  return tools
    .filter((t) => t.type === "function" && t.function)
    .map((t) => {
      const f = t.function as { name: string; description?: string; parameters?: Record<string, unknown> };
      return {
        name: f.name,
        ...(f.description ? { description: f.description } : {}),
        parameters: f.parameters ?? { type: "object", properties: {} },
      };
    });
}

export type ToolChoice = { kind: "auto" } | { kind: "none" } | { kind: "required" } | { kind: "tool"; name: string };

export function toolChoiceOf(request: ChatCompletionRequest): ToolChoice | null {
  const choice = (request as { tool_choice?: unknown }).tool_choice;
  if (choice === undefined || choice === null) return null;
  if (choice === "auto" || choice === "none" || choice === "required") return { kind: choice };
  const name = (choice as { function?: { name?: unknown } }).function?.name;
  if (typeof name === "string") return { kind: "tool", name };
  throw new RequestRejected("tool_choice must be auto, none, required or a named function", "tool_choice");
}

export function stopOf(request: ChatCompletionRequest): string[] | null {
  const stop = (request as { stop?: unknown }).stop;
  if (typeof stop === "string") return [stop];
  if (Array.isArray(stop)) return stop.filter((s): s is string => typeof s === "string");
  return null;
}

export function maxTokensOf(request: ChatCompletionRequest): number | null {
  const r = request as { max_tokens?: unknown; max_completion_tokens?: unknown };
  const value = r.max_completion_tokens ?? r.max_tokens;
  return typeof value === "number" ? value : null;
}

export function numberParam(request: ChatCompletionRequest, name: string): number | undefined {
  const value = (request as Record<string, unknown>)[name];
  return typeof value === "number" ? value : undefined;
}

/** Copies the numeric sampling params the request sets into `into`, under the provider's names (OpenAI name → provider name). */
export function copyNumberParams(
  request: ChatCompletionRequest,
  into: Record<string, unknown>,
  names: Readonly<Record<string, string>>,
): void {
  for (const [from, to] of Object.entries(names)) {
    const value = numberParam(request, from);
    if (value !== undefined) into[to] = value;
  }
}

/** JSON mode for providers without a native switch: an instruction appended to the system prompt. */
export function jsonInstruction(request: ChatCompletionRequest): string | null {
  const format = (request as { response_format?: { type?: string; json_schema?: { schema?: unknown } } })
    .response_format;
  if (!format) return null;
  if (format.type === "json_object") return "Respond with a single valid JSON object and nothing else.";
  if (format.type === "json_schema") {
    return `Respond with a single valid JSON object matching this JSON schema, and nothing else: ${JSON.stringify(format.json_schema?.schema ?? {})}`;
  }
  return null;
}

export function jsonMode(request: ChatCompletionRequest): { schema: Record<string, unknown> | null } | null {
  const format = (request as { response_format?: { type?: string; json_schema?: { schema?: unknown } } })
    .response_format;
  if (format?.type === "json_object") return { schema: null };
  if (format?.type === "json_schema")
    return { schema: (format.json_schema?.schema as Record<string, unknown>) ?? null };
  return null;
}
