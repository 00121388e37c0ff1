import { Usage } from "@switchyard/events";
import { z } from "zod";
import type { CompletionResult } from "../providers/provider.ts";

/**
 * The one form a cached answer is stored in, whether it arrived as JSON or as a stream (a stream is
 * assembled into this form once complete; stream-replay.ts turns it back into chunks). `format` says
 * how `body` is shaped: an OpenAI chat.completion, a text_completion, an embeddings list, or
 * Anthropic's own message (a native /v1/messages answer, sent byte for byte).
 */
export const AnswerFormat = z.enum(["chat", "text", "embeddings", "anthropic"]);
export type AnswerFormat = z.infer<typeof AnswerFormat>;

export const StoredAnswer = z.strictObject({
  v: z.literal(1),
  format: AnswerFormat,
  /** The answer's JSON text as the client got it (or would have, for an assembled stream). */
  body: z.string(),
  model: z.string().nullable(),
  responseId: z.string().nullable(),
  finishReasons: z.array(z.string()).nullable(),
  /** What the upstream billed for it: the cost a hit saves. */
  usage: Usage.nullable(),
  costNanoUsd: z.number().int().nonnegative(),
  /** Epoch ms when stored (the age a hit reports in its span). */
  storedAt: z.number(),
});
export type StoredAnswer = z.infer<typeof StoredAnswer>;

/** Which stored format an endpoint's answer has (a native /v1/messages answer is Anthropic's own). */
export function formatOf(endpoint: string, passThrough: boolean): AnswerFormat | null {
  if (endpoint === "/v1/chat/completions") return "chat";
  if (endpoint === "/v1/completions") return "text";
  if (endpoint === "/v1/embeddings") return "embeddings";
  if (endpoint === "/v1/messages") return passThrough ? "anthropic" : "chat";
  // Adapted providers answer /v1/responses in chat form (the endpoint renders it as a Response); a
  // native provider's own Response bytes are not stored (no replay of them is built).
  if (endpoint === "/v1/responses") return passThrough ? null : "chat";
  return null;
}

export function encodeAnswer(answer: StoredAnswer): Buffer {
  return Buffer.from(JSON.stringify(answer));
}

/** A stored entry that fails to decode (corrupt, an older layout) is null: dropped and taken as a miss. */
export function decodeAnswer(bytes: Buffer | string): StoredAnswer | null {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === "string" ? bytes : bytes.toString("utf8"));
  } catch {
    return null;
  }
  const parsed = StoredAnswer.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** A complete 2xx JSON answer as stored; anything else (an error, a non-2xx) is never stored. */
export function answerFromResult(
  result: CompletionResult,
  format: AnswerFormat,
  costNanoUsd: number,
  now: number,
): StoredAnswer | null {
  if (result.status < 200 || result.status > 299 || result.failure) return null;
  return {
    v: 1,
    format,
    body: result.body.toString("utf8"),
    model: result.model,
    responseId: result.responseId,
    finishReasons: result.finishReasons,
    usage: result.usage,
    costNanoUsd,
    storedAt: now,
  };
}

/**
 * A stored answer as a JSON result. `usage` is null: a hit bills no tokens, so the event prices it
 * at 0 (the body keeps the stored usage block the client expects; the saving goes in the event's
 * cost_saved_nano_usd).
 */
export function resultFromAnswer(answer: StoredAnswer): CompletionResult {
  return {
    status: 200,
    headers: {},
    body: Buffer.from(answer.body),
    usage: null,
    model: answer.model,
    failure: null,
    responseId: answer.responseId,
    finishReasons: answer.finishReasons,
    ...(answer.format === "anthropic" ? { passThrough: true } : {}),
  };
}
