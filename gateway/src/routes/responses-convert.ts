import { z } from "zod";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import { EndUser, ModelName } from "../schemas/limits.ts";

/**
 * The OpenAI Responses API read into the gateway's chat request, for every provider that does not
 * speak it natively: `input` (a string or items) → messages, `instructions` → a system message,
 * `max_output_tokens` → max_tokens, `text.format` → response_format, function tools and
 * function_call / function_call_output items → tool calls and tool messages, `reasoning.effort` →
 * the provider's thinking budget. What only a native provider can do (stored state, built-in tools)
 * is a `ResponsesInputError` naming the field. The way back (chat.completion → response) is in
 * responses-output.ts, the stream in responses-stream.ts.
 */
const Item = z.looseObject({ type: z.string().optional(), role: z.string().optional() });
const Tool = z.looseObject({ type: z.string(), name: z.string().optional() });

export const ResponsesRequest = z.looseObject({
  model: ModelName,
  input: z.union([z.string(), z.array(Item)]).optional(),
  instructions: z.string().nullable().optional(),
  max_output_tokens: z.number().int().positive("max_output_tokens must be positive").nullable().optional(),
  temperature: z.number().nullable().optional(),
  top_p: z.number().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  user: EndUser.optional(),
  store: z.boolean().nullable().optional(),
  previous_response_id: z.string().nullable().optional(),
  tools: z.array(Tool).optional(),
  tool_choice: z.union([z.string(), z.looseObject({ type: z.string() })]).optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  text: z
    .looseObject({ format: z.looseObject({ type: z.string() }).optional() })
    .nullable()
    .optional(),
  reasoning: z
    .looseObject({ effort: z.enum(["minimal", "low", "medium", "high"]).nullable().optional() })
    .nullable()
    .optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequest>;

/** A request only a provider speaking the Responses API can take (stored state, built-in tools, …). */
export class ResponsesInputError extends Error {
  readonly param: string;
  constructor(message: string, param: string) {
    super(message);
    this.name = "ResponsesInputError";
    this.param = param;
  }
}

type Obj = Record<string, unknown>;

/** Fields whose meaning lives in OpenAI's stored state: they have no chat equivalent. */
const NATIVE_ONLY = ["previous_response_id", "conversation", "prompt", "background"] as const;

/** Thinking budgets for `reasoning.effort` on providers that take a budget rather than an effort. */
export const THINKING_BUDGET: Record<string, number> = { minimal: 0, low: 1024, medium: 4096, high: 16384 };

function textOf(content: unknown, param: string): { text: string; parts: Obj[] } {
  if (typeof content === "string") return { text: content, parts: [{ type: "text", text: content }] };
  if (!Array.isArray(content)) throw new ResponsesInputError("content must be a string or an array of parts", param);
  const parts: Obj[] = [];
  let text = "";
  (content as Obj[]).forEach((part, i) => {
    const type = part.type;
    if (type === "input_text" || type === "output_text" || type === "text") {
      text += String(part.text ?? "");
      parts.push({ type: "text", text: String(part.text ?? "") });
    } else if (type === "input_image") {
      const url = part.image_url;
      if (typeof url !== "string") {
        throw new ResponsesInputError("input_image needs image_url here (file_id is native-only)", `${param}.${i}`);
      }
      parts.push({ type: "image_url", image_url: { url, ...(part.detail ? { detail: part.detail } : {}) } });
    } else if (type === "refusal") {
      text += String(part.refusal ?? "");
    } else {
      throw new ResponsesInputError(
        `content part type ${String(type)} is only supported natively`,
        `${param}.${i}.type`,
      );
    }
  });
  return { text, parts };
}

function messagesOf(req: ResponsesRequest): Obj[] {
  const messages: Obj[] = [];
  if (req.instructions) messages.push({ role: "system", content: req.instructions });
  if (typeof req.input === "string") {
    messages.push({ role: "user", content: req.input });
    return messages;
  }
  let pendingCalls: Obj[] | null = null;
  const flushCalls = () => {
    if (pendingCalls) messages.push({ role: "assistant", content: null, tool_calls: pendingCalls });
    pendingCalls = null;
  };
  (req.input ?? []).forEach((item, i) => {
    const param = `input.${i}`;
    const type = item.type ?? "message";
    if (type === "function_call") {
      pendingCalls ??= [];
      pendingCalls.push({
        id: String(item.call_id ?? item.id ?? ""),
        type: "function",
        function: { name: String(item.name ?? ""), arguments: String(item.arguments ?? "{}") },
      });
      return;
    }
    flushCalls();
    if (type === "function_call_output") {
      const output = typeof item.output === "string" ? item.output : JSON.stringify(item.output ?? "");
      messages.push({ role: "tool", tool_call_id: String(item.call_id ?? ""), content: output });
      return;
    }
    if (type === "reasoning") return; // earlier reasoning is the provider's own business; not resent
    if (type !== "message") {
      throw new ResponsesInputError(`input item type ${type} is only supported natively`, `${param}.type`);
    }
    const role = item.role === "developer" ? "system" : item.role;
    if (role !== "user" && role !== "assistant" && role !== "system") {
      throw new ResponsesInputError(`role ${String(item.role)} is not supported`, `${param}.role`);
    }
    const { text, parts } = textOf(item.content, `${param}.content`);
    if (role === "user")
      messages.push({ role, content: parts.length === 1 && parts[0]?.type === "text" ? text : parts });
    else messages.push({ role, content: text });
  });
  flushCalls();
  return messages;
}

function toolsOf(tools: ResponsesRequest["tools"]): Obj[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  return tools.map((tool, i) => {
    if (tool.type !== "function") {
      throw new ResponsesInputError(`built-in tool ${tool.type} is only supported natively`, `tools.${i}.type`);
    }
    return {
      type: "function",
      function: {
        name: tool.name,
        ...(typeof tool.description === "string" ? { description: tool.description } : {}),
        parameters: tool.parameters ?? { type: "object", properties: {} },
        ...(typeof tool.strict === "boolean" ? { strict: tool.strict } : {}),
      },
    };
  });
}

function toolChoiceOf(choice: ResponsesRequest["tool_choice"]): unknown {
  if (choice === undefined || typeof choice === "string") return choice;
  if (choice.type === "function") return { type: "function", function: { name: choice.name } };
  throw new ResponsesInputError(`tool_choice type ${choice.type} is only supported natively`, "tool_choice.type");
}

function formatOf(format: Obj | undefined): unknown {
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  if (format.type === "json_schema") {
    const { type: _type, ...schema } = format;
    return { type: "json_schema", json_schema: schema };
  }
  throw new ResponsesInputError(`text.format type ${String(format.type)} is not supported`, "text.format.type");
}

/** How the provider asks for reasoning: OpenAI's effort, or a thinking budget (Anthropic, Gemini). */
export type ReasoningStyle = "effort" | "anthropic-thinking" | "gemini-thinking";

/**
 * A Responses request → the gateway's chat request, for a provider reasoning in `style`.
 * Throws ResponsesInputError for what only a native provider can take.
 */
export function toChatRequest(
  req: ResponsesRequest,
  style: ReasoningStyle = "effort",
): ReturnType<typeof ChatCompletionRequest.safeParse> {
  for (const field of NATIVE_ONLY) {
    if (req[field] !== undefined && req[field] !== null) {
      throw new ResponsesInputError(`${field} needs a provider that stores responses (openai, azure-openai)`, field);
    }
  }
  if (req.store === true) {
    throw new ResponsesInputError("store: true needs a provider that stores responses (openai, azure-openai)", "store");
  }
  const chat: Obj = { model: req.model, messages: messagesOf(req) };
  if (req.max_output_tokens) chat.max_tokens = req.max_output_tokens;
  for (const name of ["temperature", "top_p", "user", "parallel_tool_calls"] as const) {
    if (req[name] !== undefined && req[name] !== null) chat[name] = req[name];
  }
  const tools = toolsOf(req.tools);
  if (tools) chat.tools = tools;
  const choice = toolChoiceOf(req.tool_choice);
  if (choice !== undefined) chat.tool_choice = choice;
  const format = formatOf(req.text?.format);
  if (format !== undefined) chat.response_format = format;
  const effort = req.reasoning?.effort;
  if (effort) {
    const budget = THINKING_BUDGET[effort] ?? 0;
    if (style === "effort") chat.reasoning_effort = effort;
    else if (budget > 0 && style === "anthropic-thinking") {
      chat.thinking = { type: "enabled", budget_tokens: budget };
      // Anthropic needs room for the answer beyond the thinking budget.
      chat.max_tokens = Math.max(Number(chat.max_tokens ?? 0), budget + 1024);
    } else if (style === "gemini-thinking") chat.thinking_budget = budget;
  }
  if (req.stream) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return ChatCompletionRequest.safeParse(chat);
}
