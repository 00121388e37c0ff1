import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { GatewayError } from "../errors.ts";
import { type EndpointSpec, invalidBody, openAIStreamEncoder } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { jsonReply } from "../pipeline/reply.ts";
import type { UploadedFile } from "../providers/provider.ts";
import { EndUser, ModelName } from "../schemas/limits.ts";
import { acceptUploads, DEFAULT_MAX_UPLOAD_BYTES, isUploadForm } from "./multipart-upload.ts";
import { pipelineRoute } from "./pipeline-route.ts";

/**
 * OpenAI's audio endpoints on the pipeline (routing, retries, fallbacks, one event each), on the
 * hosts that offer them (`Provider.media`): POST /v1/audio/speech (JSON in, the audio relayed as it
 * arrives) and POST /v1/audio/transcriptions and /translations (a multipart upload: the file is
 * streamed to disk under a cap, then from disk to the upstream; multipart-upload.ts).
 */
export const SPEECH_ENDPOINT = "/v1/audio/speech";
export const TRANSCRIPTIONS_ENDPOINT = "/v1/audio/transcriptions";
export const TRANSLATIONS_ENDPOINT = "/v1/audio/translations";

const SpeechRequest = z.looseObject({
  model: ModelName,
  input: z.string().min(1, "input is required").max(4096, "input must be at most 4096 characters"),
  voice: z.string().min(1, "voice is required").max(64),
  response_format: z.enum(["mp3", "opus", "aac", "flac", "wav", "pcm"]).optional(),
  speed: z.number().min(0.25).max(4).optional(),
  instructions: z.string().max(4096).optional(),
});
type SpeechRequest = z.infer<typeof SpeechRequest>;

export const speechEndpoint: EndpointSpec<SpeechRequest> = {
  endpoint: SPEECH_ENDPOINT,
  operation: "generate_content",
  parse(body) {
    const parsed = SpeechRequest.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    return parsed.data;
  },
  describe: (req) => ({ model: req.model, stream: false, user: null }),
  unsupported: (provider) =>
    provider.speech && provider.media?.speech ? null : `provider ${provider.id} does not offer ${SPEECH_ENDPOINT}`,
  async call(provider, req, target, signal) {
    if (!provider.speech) throw new Error(`provider ${provider.id} has no speech call`);
    return jsonReply(await provider.speech({ body: req, target, signal }));
  },
  streamEncoder: () => openAIStreamEncoder(false),
};

/** A transcription or translation: the form's text fields (validated) and the uploaded file. */
interface UploadRequest {
  fields: Record<string, string>;
  file: UploadedFile;
  model: string;
  user?: string;
}

const UploadFields = z.looseObject({
  model: ModelName,
  response_format: z.enum(["json", "text", "srt", "verbose_json", "vtt"]).optional(),
  language: z.string().max(16).optional(),
  prompt: z.string().max(16_384).optional(),
  temperature: z
    .string()
    .regex(/^\d*\.?\d+$/, "temperature must be a number")
    .optional(),
  user: EndUser.optional(),
});

function uploadEndpoint(kind: "transcriptions" | "translations", path: string): EndpointSpec<UploadRequest> {
  return {
    endpoint: path,
    operation: "generate_content",
    parse(body) {
      if (!isUploadForm(body)) {
        throw new GatewayError("invalid_request", `${path} takes a multipart/form-data upload`, "file");
      }
      if (body.tooLarge) {
        throw new GatewayError("body_too_large", `file is larger than ${body.maxBytes} bytes`, "file");
      }
      if (body.file === null)
        throw new GatewayError("invalid_request", "file is required (a multipart file part)", "file");
      const fields = UploadFields.safeParse(body.fields);
      if (!fields.success) throw invalidBody(fields.error.issues);
      return { fields: { ...body.fields }, file: body.file, model: fields.data.model, user: fields.data.user };
    },
    describe: (req) => ({ model: req.model, stream: false, user: req.user ?? null }),
    params: (req) => ({ ...req.fields, model: req.model }),
    unsupported: (provider) =>
      provider.transcribe && provider.media?.transcriptions ? null : `provider ${provider.id} does not offer ${path}`,
    async call(provider, req, target, signal) {
      if (!provider.transcribe) throw new Error(`provider ${provider.id} has no transcription call`);
      // override_params (spread over the request by the router) become form fields.
      const { fields, file, model: _model, user: _user, ...overrides } = req as UploadRequest & Record<string, unknown>;
      const merged = { ...fields };
      for (const [name, value] of Object.entries(overrides)) merged[name] = String(value);
      return jsonReply(await provider.transcribe({ kind, fields: merged, file, target, signal }));
    },
    // The transcript is sent as the host wrote it (JSON or text, srt, vtt).
    renderJson: (result) => ({ body: result.body, responseId: "", finishReasons: [] }),
    streamEncoder: () => openAIStreamEncoder(false),
  };
}

export const transcriptionsEndpoint = uploadEndpoint("transcriptions", TRANSCRIPTIONS_ENDPOINT);
export const translationsEndpoint = uploadEndpoint("translations", TRANSLATIONS_ENDPOINT);

export function registerAudio(
  app: FastifyInstance,
  pipeline: Pipeline,
  options: { maxUploadBytes?: number } = {},
): void {
  app.post(SPEECH_ENDPOINT, pipelineRoute(speechEndpoint, pipeline));
  // Multipart is accepted only by the upload routes (an encapsulated scope).
  void app.register(async (scope) => {
    acceptUploads(scope, options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES);
    scope.post(TRANSCRIPTIONS_ENDPOINT, pipelineRoute(transcriptionsEndpoint, pipeline));
    scope.post(TRANSLATIONS_ENDPOINT, pipelineRoute(translationsEndpoint, pipeline));
  });
}
