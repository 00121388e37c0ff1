import { z } from "zod";
import { EndUser, LIMITS, ModelName } from "./limits.ts";

/**
 * The OpenAI chat-completions request as the gateway validates it. Only what the gateway
 * itself relies on is checked; every other field passes through to the provider untouched.
 */
const Content = z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]);

export const ChatMessage = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: Content.optional(),
});

const JSON_SCHEMA_TYPES = ["object", "array", "string", "number", "integer", "boolean", "null"];

/**
 * Structural checks of a JSON Schema a tool declares, so a broken one is a 400 here, not a provider's 400 later.
 * Recursion is bounded by LIMITS.toolSchemaDepth (one level per nested schema): past it the request is
 * refused at the path where it went too deep, so no schema a client sends can exhaust the stack.
 */
function checkSchema(schema: unknown, ctx: z.RefinementCtx, path: (string | number)[], depth: number): void {
  if (depth > LIMITS.toolSchemaDepth) {
    ctx.addIssue({ code: "custom", path, message: `tool schemas nest at most ${LIMITS.toolSchemaDepth} levels` });
    return;
  }
  const top = depth === 1;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    ctx.addIssue({ code: "custom", path, message: "must be a JSON Schema object" });
    return;
  }
  const s = schema as Record<string, unknown>;
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  for (const t of types) {
    if (typeof t !== "string" || !JSON_SCHEMA_TYPES.includes(t)) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "type"],
        message: `unknown JSON Schema type ${JSON.stringify(t)}`,
      });
    }
  }
  if (top && s.type !== undefined && s.type !== "object") {
    ctx.addIssue({ code: "custom", path: [...path, "type"], message: 'tool parameters must have type "object"' });
  }
  if (s.properties !== undefined) {
    if (typeof s.properties !== "object" || s.properties === null || Array.isArray(s.properties)) {
      ctx.addIssue({ code: "custom", path: [...path, "properties"], message: "must be an object of schemas" });
    } else {
      for (const [key, value] of Object.entries(s.properties))
        checkSchema(value, ctx, [...path, "properties", key], depth + 1);
    }
  }
  if (s.items !== undefined && !Array.isArray(s.items)) checkSchema(s.items, ctx, [...path, "items"], depth + 1);
  if (s.required !== undefined && !(Array.isArray(s.required) && s.required.every((r) => typeof r === "string"))) {
    ctx.addIssue({ code: "custom", path: [...path, "required"], message: "must be an array of property names" });
  }
}

/** Function tools: a valid name and a JSON Schema object for parameters. Other tool types pass through. */
const Tools = z.array(z.looseObject({ type: z.string() })).superRefine((tools, ctx) => {
  tools.forEach((tool, i) => {
    if (tool.type !== "function") return;
    const fn = (tool as { function?: unknown }).function;
    if (typeof fn !== "object" || fn === null) {
      ctx.addIssue({ code: "custom", path: [i, "function"], message: "function tools need a function object" });
      return;
    }
    const f = fn as { name?: unknown; parameters?: unknown };
    if (typeof f.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(f.name)) {
      ctx.addIssue({
        code: "custom",
        path: [i, "function", "name"],
        message: "tool names are 1-64 characters of a-z, A-Z, 0-9, _ and -",
      });
    }
    if (f.parameters !== undefined) checkSchema(f.parameters, ctx, [i, "function", "parameters"], 1);
  });
});

export const ChatCompletionRequest = z.looseObject({
  model: ModelName,
  messages: z.array(ChatMessage).min(1, "messages must contain at least one message"),
  tools: Tools.optional(),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  user: EndUser.optional(),
  // Sampling and output parameters: the types every provider takes (a wrong type is a 400 here,
  // not an upstream error after the call is paid for, nor an odd value in the event). null = unset.
  temperature: z.number().nullable().optional(),
  top_p: z.number().nullable().optional(),
  n: z.number().int().positive().nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  presence_penalty: z.number().nullable().optional(),
  frequency_penalty: z.number().nullable().optional(),
  seed: z.number().int().nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  logit_bias: z.record(z.string(), z.number()).nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).nullable().optional(),
  response_format: z.looseObject({ type: z.string() }).nullable().optional(),
  tool_choice: z
    .union([z.string(), z.looseObject({ type: z.string() })])
    .nullable()
    .optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;
