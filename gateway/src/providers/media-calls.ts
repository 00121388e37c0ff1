import { openAsBlob } from "node:fs";
import type { Usage } from "@switchyard/events";
import { type Dispatcher, FormData } from "undici";
import type { MediaTransform, ProviderAdapter } from "./adapter.ts";
import { usageFromResponses } from "./openai-compatible/responses-native.ts";
import type { CompletionResult, MediaCall, Provider, ProviderTarget } from "./provider.ts";
import { errorResult, parseJson } from "./shared/errors.ts";
import { targetCredentials } from "./shared/scrub-secrets.ts";
import { estimateTextUsage } from "./shared/tokens.ts";
import { passThroughHeaders, postUpstream } from "./upstream-http.ts";

/**
 * OpenAI's media endpoints on a host that offers them (openai, azure-openai, and the presets with
 * `media`): images as JSON passed through, speech audio relayed as it arrives (never buffered), and
 * transcriptions / translations sent as a multipart form whose file part streams from the upload's
 * file on disk. Each answer carries the facts its price needs: image models' token usage (gpt-image-1
 * reports it), speech's input text counted locally, a transcription's usage (tokens) or its billed
 * audio seconds (whisper-1). Errors are the adapter's OpenAI-shaped ones, as on every path.
 */
type Obj = Record<string, unknown>;
const OK = (status: number) => status >= 200 && status < 300;

/** A transcription's `usage`: tokens (gpt-4o-transcribe) or `{type: "duration", seconds}` (whisper-1). */
function transcriptionFacts(json: Obj | null): { usage: Usage | null; seconds: number | undefined } {
  const usage = (json?.usage ?? null) as Obj | null;
  if (usage?.type === "duration" && typeof usage.seconds === "number") return { usage: null, seconds: usage.seconds };
  if (usage?.type === "tokens") return { usage: usageFromResponses(usage), seconds: undefined };
  // verbose_json carries the duration even where usage is absent.
  return { usage: null, seconds: typeof json?.duration === "number" ? json.duration : undefined };
}

function result(status: number, headers: Record<string, string>, body: Buffer, facts: Partial<CompletionResult>) {
  return {
    status,
    headers,
    body,
    usage: null,
    model: null,
    failure: null,
    responseId: "",
    finishReasons: [],
    ...facts,
  } satisfies CompletionResult;
}

export function mediaMethods(
  adapter: ProviderAdapter & { media: MediaTransform },
  dispatcher: Dispatcher,
): Pick<Provider, "media" | "images" | "speech" | "transcribe"> {
  const media = adapter.media;
  const errorOf = async (response: Dispatcher.ResponseData, target: ProviderTarget) => {
    const body = Buffer.from(await response.body.arrayBuffer());
    const headers = passThroughHeaders(response.headers);
    return errorResult(adapter, response.statusCode, headers, body, response.headers, targetCredentials(target));
  };
  const postJson = (call: MediaCall, path: string) =>
    postUpstream({
      dispatcher,
      url: media.url(call.target, path, String(call.body.model ?? "")),
      headers: { ...media.headers(call.target), "content-type": "application/json" },
      body: JSON.stringify(call.body),
      signal: call.signal,
    });

  return {
    media: media.offers,
    async images(call) {
      const response = await postJson(call, "/images/generations");
      if (!OK(response.statusCode)) return errorOf(response, call.target);
      const body = Buffer.from(await response.body.arrayBuffer());
      const json = parseJson(body) as Obj | null;
      return result(response.statusCode, passThroughHeaders(response.headers), body, {
        usage: usageFromResponses(json?.usage),
        model: String(call.body.model ?? "") || null,
      });
    },
    async speech(call) {
      const response = await postJson(call, "/audio/speech");
      if (!OK(response.statusCode)) return errorOf(response, call.target);
      const contentType = response.headers["content-type"];
      return result(response.statusCode, passThroughHeaders(response.headers), Buffer.alloc(0), {
        // The audio has no usage block: the input text is counted (gpt-4o-mini-tts prices input tokens).
        usage: await estimateTextUsage(String(call.body.input ?? ""), ""),
        model: String(call.body.model ?? "") || null,
        contentType: typeof contentType === "string" ? contentType : "application/octet-stream",
        bodyStream: response.body,
      });
    },
    async transcribe(call) {
      const form = new FormData();
      for (const [name, value] of Object.entries(call.fields)) form.append(name, value);
      // A file-backed Blob: read from disk as the request body is sent, again on a retry.
      const file = await openAsBlob(call.file.path, { type: call.file.mimeType });
      form.append("file", file, call.file.filename);
      const response = await postUpstream({
        dispatcher,
        url: media.url(call.target, `/audio/${call.kind}`, call.fields.model ?? ""),
        headers: media.headers(call.target),
        body: form,
        signal: call.signal,
      });
      if (!OK(response.statusCode)) return errorOf(response, call.target);
      const body = Buffer.from(await response.body.arrayBuffer());
      const contentType = String(response.headers["content-type"] ?? "application/json");
      const facts = contentType.includes("json") ? transcriptionFacts(parseJson(body) as Obj | null) : null;
      return result(response.statusCode, passThroughHeaders(response.headers), body, {
        usage: facts?.usage ?? null,
        model: call.fields.model ?? null,
        contentType,
        ...(facts?.seconds === undefined ? {} : { audioSeconds: facts.seconds }),
      });
    },
  };
}
