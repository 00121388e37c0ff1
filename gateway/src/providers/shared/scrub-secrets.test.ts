import { describe, expect, it } from "vitest";
import type { ProviderTarget } from "../provider.ts";
import { errorResult, genericErrorInfo } from "./errors.ts";
import { MASK, scrubSecrets, targetCredentials } from "./scrub-secrets.ts";

/** Issue 10 §7: upstream error text is stored and returned only with credentials masked. */

describe("scrubSecrets: anything shaped like a provider key", () => {
  it.each([
    ["Incorrect API key provided: sk-proj-AbCdEf0123456789xyz.", "Incorrect API key provided: sk-***."],
    ["invalid x-api-key sk-ant-api03-AbCdEf0123456789-xyz", "invalid x-api-key sk-ant-***"],
    ["API key not valid: AIzaSyA-0123456789abcdefghijklmnopq", "API key not valid: AIza***"],
    [
      "The security token included (AKIAIOSFODNN7EXAMPLE) is invalid",
      "The security token included (AKIA***) is invalid",
    ],
    ["header was Authorization: Bearer abc.def-ghi_jkl", "header was Authorization: Bearer ***"],
    ["Invalid API Key gsk_0123456789abcdefABCDEF", "Invalid API Key gsk_***"],
    ['{"api_key": "my-plain-secret-value"}', `{"api_key": "${MASK}"}`],
    ["x-goog-api-key=abcdef0123456789", `x-goog-api-key=${MASK}`],
    ["GET https://host/v1/models?key=abcdef123&alt=sse", `GET https://host/v1/models?key=${MASK}&alt=sse`],
    ["proxy https://user:hunter22@proxy.internal/v1 refused", `proxy https://user:${MASK}@proxy.internal/v1 refused`],
    [
      "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U expired",
      "token eyJ*** expired",
    ],
    ["-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n-----END PRIVATE KEY-----", `[private key ${MASK}]`],
  ])("%j", (text, expected) => {
    expect(scrubSecrets(text)).toBe(expected);
  });

  it("leaves ordinary error text alone", () => {
    for (const text of [
      "The model `gpt-5` does not exist or you do not have access to it.",
      "Rate limit reached for gpt-4o-mini in organization org-abc on tokens per min (TPM): Limit 200000",
      "max_tokens: 100000 > 8192, which is the maximum allowed number of output tokens for claude-3-5-sonnet",
      "Incorrect API key provided: sk-proj-********************************************abcd.",
      "task-force risk-assessment desk-booking",
    ]) {
      expect(scrubSecrets(text)).toBe(text);
    }
  });
});

describe("scrubSecrets: the caller's own credentials, whatever their shape", () => {
  it("masks each literally, longest first, also JSON-escaped", () => {
    const credentials = ["plain-vllm-token", 'quote"d-secret'];
    expect(scrubSecrets("token plain-vllm-token is not allowed", credentials)).toBe(`token ${MASK} is not allowed`);
    expect(scrubSecrets('{"message":"bad quote\\"d-secret"}', credentials)).toBe(`{"message":"bad ${MASK}"}`);
  });

  it("ignores credentials too short to mask safely", () => {
    expect(scrubSecrets("abc is short", ["abc"])).toBe("abc is short");
  });

  it("targetCredentials: api key, secret provider fields (and a service account's private key), secret forwarded headers", () => {
    const target: ProviderTarget = {
      apiKey: "key-123456",
      customHost: null,
      forwardHeaders: { "x-custom-token": "Bearer fwd-secret-1", "x-trace": "not-a-secret" },
      providerFields: {
        aws_region: "us-east-1",
        aws_secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        vertex_service_account_json: JSON.stringify({ private_key: "PEMBODY-0123456789", client_email: "a@b" }),
      },
    };
    const credentials = targetCredentials(target);
    expect(credentials).toEqual(
      expect.arrayContaining([
        "key-123456",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "PEMBODY-0123456789",
        "Bearer fwd-secret-1",
        "fwd-secret-1",
      ]),
    );
    expect(credentials).not.toContain("us-east-1");
    expect(credentials).not.toContain("not-a-secret");
  });
});

describe("errorResult scrubs what the event stores and what the client gets", () => {
  const adapter = { id: "openai", error: genericErrorInfo };
  const echo = (key: string) =>
    Buffer.from(
      JSON.stringify({ error: { message: `Incorrect API key provided: ${key}`, type: "invalid_request_error" } }),
    );

  it("a key-shaped and a caller credential are masked in failure.message and the body", () => {
    for (const [key, credentials] of [
      ["sk-proj-Secret0123456789abcdef", []],
      ["my-own-vllm-token-42", ["my-own-vllm-token-42"]],
    ] as const) {
      const result = errorResult(adapter, 401, {}, echo(key), {}, credentials);
      expect(result.failure?.message).toBe(
        `Incorrect API key provided: ${key.startsWith("sk-") ? `sk-${MASK}` : MASK}`,
      );
      expect(result.body.toString()).not.toContain(key);
      expect(JSON.parse(result.body.toString()).error.type).toBe("invalid_request_error");
    }
  });

  it("OpenAI-format pass-through bodies are scrubbed and stay valid JSON", () => {
    const passThrough = { ...adapter, passThroughOpenAIErrors: true };
    const result = errorResult(passThrough, 401, {}, echo("my-own-vllm-token-42"), {}, ["my-own-vllm-token-42"]);
    expect(JSON.parse(result.body.toString())).toEqual({
      error: { message: `Incorrect API key provided: ${MASK}`, type: "invalid_request_error" },
    });
  });

  it("a non-JSON error page is scrubbed too", () => {
    const result = errorResult(
      adapter,
      502,
      {},
      Buffer.from("<html>upstream key AIzaSyA-0123456789abcdefghijklmnopq</html>"),
    );
    expect(result.failure?.message).toBe(`<html>upstream key AIza${MASK}</html>`);
  });
});
