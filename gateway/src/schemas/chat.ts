import { z } from "zod";

/**
 * The OpenAI chat-completions request as the gateway validates it. Only what the gateway
 * itself relies on is checked; every other field passes through to the provider untouched.
 */
const Content = z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]);

export const ChatMessage = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: Content.optional(),
});

export const ChatCompletionRequest = z.looseObject({
  model: z.string().min(1, "model is required"),
  messages: z.array(ChatMessage).min(1, "messages must contain at least one message"),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  user: z.string().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** The OpenAI usage block (non-stream bodies and the final stream chunk). */
export const OpenAIUsage = z.looseObject({
  prompt_tokens: z.number().int().nonnegative().default(0),
  completion_tokens: z.number().int().nonnegative().default(0),
  prompt_tokens_details: z.looseObject({ cached_tokens: z.number().int().nonnegative().nullish() }).nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: z.number().int().nonnegative().nullish() }).nullish(),
});
export type OpenAIUsage = z.infer<typeof OpenAIUsage>;
