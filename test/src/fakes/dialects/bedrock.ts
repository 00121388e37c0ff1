import { Sha256 } from "@aws-crypto/sha256-js";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { SignatureV4 } from "@smithy/signature-v4";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
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

/**
 * Amazon Bedrock Converse: POST /model/{modelId}/converse | /converse-stream, SigV4-signed
 * (service bedrock) — the fake re-signs every request with the same credentials and refuses a
 * signature that differs — and the binary event stream, encoded with the AWS codec.
 */
export const FAKE_AWS = { accessKeyId: "AKIAFAKEFAKEFAKE", secretAccessKey: "fake/secret/key", region: "us-east-1" };

const EXCEPTIONS: Record<number, string> = {
  400: "ValidationException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  429: "ThrottlingException",
  500: "InternalServerException",
  503: "ServiceUnavailableException",
};

/** Converse's inputTokens excludes cache reads and writes. */
function usageBlock(u: FakeUsageTotals) {
  return {
    inputTokens: u.input - u.cacheRead - u.cacheWrite,
    outputTokens: u.output,
    totalTokens: u.input + u.output,
    cacheReadInputTokens: u.cacheRead,
    cacheWriteInputTokens: u.cacheWrite,
  };
}

function parseMessage(m: { role: string; content: Array<Record<string, unknown>> }): CanonicalMessage {
  const out = emptyMessage(m.role === "assistant" ? "assistant" : "user");
  for (const block of m.content) {
    if (typeof block.text === "string") out.text += block.text;
    const image = block.image as { format: string; source: { bytes: string } } | undefined;
    if (image) out.images.push(`data:image/${image.format};base64,${image.source.bytes}`);
    const toolUse = block.toolUse as { toolUseId: string; name: string; input: unknown } | undefined;
    if (toolUse) out.toolCalls.push({ id: toolUse.toolUseId, name: toolUse.name, args: toolUse.input });
    const result = block.toolResult as { toolUseId: string; content: unknown } | undefined;
    if (result) {
      out.role = "tool";
      out.toolResults.push({ id: result.toolUseId, text: flatText(result.content) });
    }
  }
  return out;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

export function frame(eventType: string, body: object): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: eventType },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: fromUtf8(JSON.stringify({ ...body, p: "abcdefgh" })),
  });
}

async function expectedAuthorization(
  req: { method?: string; url?: string; headers: Record<string, unknown> },
  raw: string,
) {
  const auth = String(req.headers.authorization ?? "");
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(";") ?? [];
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = String(req.headers[name] ?? "");
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const host = headers.host ?? "";
  const signer = new SignatureV4({
    service: "bedrock",
    region: FAKE_AWS.region,
    sha256: Sha256,
    credentials: { accessKeyId: FAKE_AWS.accessKeyId, secretAccessKey: FAKE_AWS.secretAccessKey },
  });
  const [hostname, port] = host.split(":");
  const signed = await signer.sign(
    {
      method: req.method ?? "POST",
      protocol: "http:",
      hostname: hostname ?? "",
      ...(port ? { port: Number(port) } : {}),
      path: (req.url ?? "/").split("?")[0] ?? "/",
      query: {},
      headers,
      body: raw,
    },
    { signingDate: date },
  );
  return String(signed.headers.authorization);
}

export function bedrockDialect(): Dialect {
  const error = (status: number, message: string): DialectResponse => ({
    status,
    headers: {
      "content-type": "application/json",
      "x-amzn-errortype": `${EXCEPTIONS[status] ?? "InternalServerException"}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    },
    body: JSON.stringify({ message }),
  });
  const content = (plan: ReplyPlan) =>
    plan.kind === "text"
      ? [{ text: plan.text }]
      : [{ toolUse: { toolUseId: "tooluse_fake_1", name: plan.name, input: JSON.parse(plan.args) } }];
  return {
    streamContentType: "application/vnd.amazon.eventstream",
    match(method, url) {
      const m = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(url.pathname);
      if (method !== "POST" || !m) return null;
      return { model: decodeURIComponent(m[1]!), stream: m[2] === "converse-stream", kind: "chat" };
    },
    check(req) {
      const auth = String(req.headers.authorization ?? "");
      const bearer = auth.startsWith("Bearer ");
      if (!bearer && !auth.startsWith(`AWS4-HMAC-SHA256 Credential=${FAKE_AWS.accessKeyId}/`)) {
        return error(403, "The security token included in the request is invalid.");
      }
      if (!bearer && !auth.includes(`/${FAKE_AWS.region}/bedrock/aws4_request`)) {
        return error(403, "Credential should be scoped to a valid region and service bedrock.");
      }
      return null;
    },
    parse(body, match) {
      const system = body.system as Array<{ text: string }> | undefined;
      const toolConfig = body.toolConfig as { tools: Array<{ toolSpec: { name: string } }> } | undefined;
      const inference = (body.inferenceConfig as Record<string, unknown>) ?? {};
      const systemText = system ? system.map((s) => s.text).join("") : null;
      return {
        model: match.model,
        stream: match.stream,
        system: systemText,
        messages: ((body.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>) ?? []).map(
          parseMessage,
        ),
        tools: (toolConfig?.tools ?? []).map((t) => t.toolSpec.name),
        jsonMode: systemText?.includes("JSON") ?? false,
        maxTokens: (inference.maxTokens as number | undefined) ?? null,
        stop: (inference.stopSequences as string[] | undefined) ?? [],
      };
    },
    json(plan, _match, usage) {
      return {
        output: { message: { role: "assistant", content: content(plan) } },
        stopReason: plan.kind === "text" ? "end_turn" : "tool_use",
        ...(usage ? { usage: usageBlock(usage) } : {}),
        metrics: { latencyMs: 1 },
      };
    },
    events(plan, _match, usage) {
      const frames = [frame("messageStart", { role: "assistant" })];
      if (plan.kind === "text") {
        for (const w of words(plan.text))
          frames.push(frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: w } }));
      } else {
        frames.push(
          frame("contentBlockStart", {
            contentBlockIndex: 0,
            start: { toolUse: { toolUseId: "tooluse_fake_1", name: plan.name } },
          }),
        );
        const half = Math.floor(plan.args.length / 2);
        for (const piece of [plan.args.slice(0, half), plan.args.slice(half)]) {
          frames.push(frame("contentBlockDelta", { contentBlockIndex: 0, delta: { toolUse: { input: piece } } }));
        }
      }
      frames.push(frame("contentBlockStop", { contentBlockIndex: 0 }));
      frames.push(frame("messageStop", { stopReason: plan.kind === "text" ? "end_turn" : "tool_use" }));
      if (usage) frames.push(frame("metadata", { usage: usageBlock(usage), metrics: { latencyMs: 1 } }));
      return frames;
    },
    error,
  };
}

/** Checks a recorded request's SigV4 signature by signing it again with the fake's credentials. */
export async function signatureMatches(call: {
  url: string;
  headers: Record<string, unknown>;
  raw: string;
}): Promise<boolean> {
  const expected = await expectedAuthorization({ method: "POST", url: call.url, headers: call.headers }, call.raw);
  return expected === String(call.headers.authorization);
}
