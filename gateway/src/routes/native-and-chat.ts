import type { CompletionResult } from "../providers/provider.ts";
import type { ChatCompletionRequest } from "../schemas/chat.ts";

/**
 * An endpoint request kept both ways (/v1/messages, /v1/responses): `native` is the client's body for a
 * provider that speaks that API, `chat` its conversion for every other provider — or why it cannot be
 * converted (an error naming the param): a non-native attempt then answers that 400 without calling
 * anyone, and a fallback to a native provider still works.
 */
export interface NativeAndChat<Native, Unconvertible extends Error> {
  native: Native;
  chat: ChatCompletionRequest | Unconvertible;
}

/**
 * The router spreads a leaf's override_params over the request object: this moves them into both forms
 * (the unconvertible case keeps its error). Returns `req` itself when there are none.
 */
export function withOverrides<N, E extends Error>(req: NativeAndChat<N, E>): NativeAndChat<N, E> {
  const { native, chat, ...overrides } = req;
  if (Object.keys(overrides).length === 0) return req;
  return {
    native: { ...native, ...overrides } as N,
    chat: chat instanceof Error ? chat : ({ ...chat, ...overrides } as ChatCompletionRequest),
  };
}

/** A 400 for a request the provider cannot take, made without calling it (OpenAI's error body). */
export function unconvertibleResult(error: Error & { param: string }): CompletionResult {
  const info = { message: error.message, type: "invalid_request_error", param: error.param, code: null };
  return {
    status: 400,
    headers: {},
    body: Buffer.from(JSON.stringify({ error: info })),
    usage: null,
    model: null,
    failure: { type: info.type, message: info.message },
    responseId: null,
    finishReasons: null,
  };
}
