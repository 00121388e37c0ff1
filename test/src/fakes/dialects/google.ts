import {
  type CanonicalMessage,
  type Dialect,
  type DialectResponse,
  emptyMessage,
  type FakeUsageTotals,
  flatText,
  type ReplyPlan,
  words,
} from "../provider-fake.ts";

/** Gemini API: /v1beta/models/{model}:generateContent | :streamGenerateContent?alt=sse, x-goog-api-key. */
const STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
};

/** promptTokenCount includes cached tokens; candidatesTokenCount excludes thoughts. */
function usageBlock(u: FakeUsageTotals) {
  return {
    promptTokenCount: u.input,
    candidatesTokenCount: u.output - u.reasoning,
    thoughtsTokenCount: u.reasoning,
    cachedContentTokenCount: u.cacheRead,
    totalTokenCount: u.input + u.output,
  };
}

function hasKey(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((v) => hasKey(v, key));
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(([k, v]) => k === key || hasKey(v, key));
}

function parseContent(c: { role: string; parts: Array<Record<string, unknown>> }): CanonicalMessage {
  const out = emptyMessage(c.role === "model" ? "assistant" : "user");
  for (const part of c.parts) {
    if (typeof part.text === "string") out.text += part.text;
    const inline = part.inlineData as { mimeType: string; data: string } | undefined;
    if (inline) out.images.push(`data:${inline.mimeType};base64,${inline.data}`);
    const file = part.fileData as { fileUri: string } | undefined;
    if (file) out.images.push(file.fileUri);
    const call = part.functionCall as { name: string; args: unknown } | undefined;
    if (call) out.toolCalls.push({ id: call.name, name: call.name, args: call.args });
    const response = part.functionResponse as { name: string; response: unknown } | undefined;
    if (response) {
      out.role = "tool";
      out.toolResults.push({ id: response.name, text: flatText(response.response) });
    }
  }
  return out;
}

function parts(plan: ReplyPlan) {
  return plan.kind === "text"
    ? [{ text: plan.text }]
    : [{ functionCall: { name: plan.name, args: JSON.parse(plan.args) } }];
}

export function googleDialect(): Dialect {
  const error = (status: number, message: string): DialectResponse => ({
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: { code: status, message, status: STATUS[status] ?? "UNKNOWN" } }),
  });
  return {
    streamContentType: "text/event-stream",
    match(method, url) {
      const m = /\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/.exec(url.pathname);
      if (method !== "POST" || !m) return null;
      if (m[2] === "batchEmbedContents") return { model: decodeURIComponent(m[1]!), stream: false, kind: "embeddings" };
      return { model: decodeURIComponent(m[1]!), stream: m[2] === "streamGenerateContent", kind: "chat" };
    },
    check(req, url, body, _raw, match) {
      if (!req.headers["x-goog-api-key"])
        return error(403, "Method doesn't allow unregistered callers. Please use API Key.");
      if (match.stream && url.searchParams.get("alt") !== "sse") return error(400, "streaming here requires alt=sse");
      if (hasKey(body.tools, "additionalProperties")) {
        return error(400, 'Invalid JSON payload received. Unknown name "additionalProperties"');
      }
      const contents = (body.contents as Array<{ role: string }>) ?? [];
      const bad = contents.findIndex((c) => c.role !== "user" && c.role !== "model");
      if (bad >= 0) return error(400, `Please use a valid role: user, model. (contents[${bad}])`);
      return null;
    },
    parse(body, match) {
      const system = body.systemInstruction as { parts: Array<{ text: string }> } | undefined;
      const declarations = ((body.tools as Array<{ functionDeclarations?: Array<{ name: string }> }>) ?? []).flatMap(
        (t) => t.functionDeclarations ?? [],
      );
      const generation = (body.generationConfig as Record<string, unknown>) ?? {};
      return {
        model: match.model,
        stream: match.stream,
        system: system ? system.parts.map((p) => p.text).join("") : null,
        messages: ((body.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>) ?? []).map(
          parseContent,
        ),
        tools: declarations.map((d) => d.name),
        jsonMode: generation.responseMimeType === "application/json",
        maxTokens: (generation.maxOutputTokens as number | undefined) ?? null,
        stop: (generation.stopSequences as string[] | undefined) ?? [],
      };
    },
    json(plan, match, usage) {
      return {
        candidates: [{ content: { role: "model", parts: parts(plan) }, finishReason: "STOP", index: 0 }],
        ...(usage ? { usageMetadata: usageBlock(usage) } : {}),
        modelVersion: match.model,
        responseId: "resp-fake-1",
      };
    },
    events(plan, match, usage) {
      const event = (body: object) => `data: ${JSON.stringify({ ...body, modelVersion: match.model })}\r\n\r\n`;
      if (plan.kind === "tool") {
        return [
          event({
            candidates: [{ content: { role: "model", parts: parts(plan) }, finishReason: "STOP", index: 0 }],
            ...(usage ? { usageMetadata: usageBlock(usage) } : {}),
          }),
        ];
      }
      const pieces = words(plan.text);
      return pieces.map((w, i) =>
        event({
          candidates: [
            {
              content: { role: "model", parts: [{ text: w }] },
              index: 0,
              ...(i === pieces.length - 1 ? { finishReason: "STOP" } : {}),
            },
          ],
          ...(usage && i === pieces.length - 1 ? { usageMetadata: usageBlock(usage) } : {}),
        }),
      );
    },
    error,
    embeddings(body) {
      const requests = (body.requests as unknown[]) ?? [];
      return { embeddings: requests.map(() => ({ values: [0.1, 0.2, 0.3] })) };
    },
  };
}
