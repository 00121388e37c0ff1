import { PROVIDER_ADAPTERS } from "@switchyard/gateway/testing";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_AUDIO_SECONDS, FAKE_TRANSCRIPT, fakeSpeechBytes } from "../fakes/dialects/openai-media.ts";
import { type ConformanceStack, HTTP_PROVIDERS, type HttpProviderId, startConformanceStack } from "./support.ts";

/**
 * Images and audio with the unmodified `openai` SDK, for every provider whose adapter offers them
 * (`media` flags): images.generate, audio.speech.create (the audio relayed as it arrives),
 * audio.transcriptions / translations.create (a multipart upload streamed to the upstream), one
 * event each with its endpoint, priced where the catalogue knows the model; bad input a 4xx before
 * any upstream call.
 */
const CAP = 64 * 1024;
let stack: ConformanceStack;
beforeAll(async () => {
  stack = await startConformanceStack({ maxUploadBytes: CAP });
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

function client(id: HttpProviderId): OpenAI {
  const { "content-type": _ct, ...headers } = stack.headers(id);
  return new OpenAI({ baseURL: `${stack.base}/v1`, apiKey: "unused", defaultHeaders: headers, maxRetries: 0 });
}

const offers = (id: HttpProviderId) => PROVIDER_ADAPTERS[id].media?.offers;
const IMAGE_MODEL: Partial<Record<HttpProviderId, string>> = {
  together: "black-forest-labs/FLUX.1-schnell",
  xai: "grok-2-image",
};
const SPEECH_MODEL: Partial<Record<HttpProviderId, string>> = { groq: "playai-tts" };
const STT_MODEL: Partial<Record<HttpProviderId, string>> = { groq: "whisper-large-v3" };
const AUDIO = Buffer.alloc(20_000, 7);

describe.each(HTTP_PROVIDERS.filter((id) => offers(id)?.images))("%s: /v1/images/generations", (id) => {
  it("images.generate: the host's answer, one event with the endpoint", async () => {
    const model = IMAGE_MODEL[id] ?? "dall-e-3";
    const images = await client(id).images.generate({ model, prompt: "a lighthouse", n: 1, size: "1024x1024" });
    expect(images.data).toHaveLength(1);
    expect(stack.fake(id).last?.body).toMatchObject({ model, prompt: "a lighthouse", size: "1024x1024" });
    const event = await stack.event();
    expect(event).toMatchObject({
      provider: id,
      status_code: 200,
      endpoint: "/v1/images/generations",
      model_requested: model,
    });
  });
});

describe.each(HTTP_PROVIDERS.filter((id) => offers(id)?.speech))("%s: /v1/audio/speech", (id) => {
  it("audio.speech.create: the audio bytes as the host sent them, one event", async () => {
    const model = SPEECH_MODEL[id] ?? "tts-1";
    const res = await client(id).audio.speech.create({ model, voice: "alloy", input: "Hello there" });
    expect(res.headers.get("content-type")).toBe("audio/mpeg");
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.equals(fakeSpeechBytes())).toBe(true);
    const event = await stack.event();
    expect(event).toMatchObject({ provider: id, status_code: 200, endpoint: "/v1/audio/speech" });
    expect(event.usage).toMatchObject({ estimated: true });
    expect(event.usage.input_tokens).toBeGreaterThan(0);
  });
});

describe.each(HTTP_PROVIDERS.filter((id) => offers(id)?.transcriptions))("%s: /v1/audio/transcriptions", (id) => {
  it("audio.transcriptions.create: the upload reaches the host whole, the transcript comes back", async () => {
    const model = STT_MODEL[id] ?? "whisper-1";
    const file = await toFile(AUDIO, "speech.wav", { type: "audio/wav" });
    const result = await client(id).audio.transcriptions.create({ file, model, language: "en" });
    expect(result.text).toBe(FAKE_TRANSCRIPT);
    expect(stack.fake(id).last?.body).toMatchObject({
      model,
      language: "en",
      file_name: "speech.wav",
      file_size: AUDIO.length,
    });
    const event = await stack.event();
    expect(event).toMatchObject({ provider: id, status_code: 200, endpoint: "/v1/audio/transcriptions" });
  });

  it("audio.translations.create reaches the host's translations endpoint", async () => {
    const file = await toFile(AUDIO, "speech.wav");
    const result = await client(id).audio.translations.create({ file, model: STT_MODEL[id] ?? "whisper-1" });
    expect(result.text).toBe(FAKE_TRANSCRIPT);
    expect(stack.fake(id).last?.url).toContain("/audio/translations");
    expect((await stack.event()).endpoint).toBe("/v1/audio/translations");
  });
});

describe("media: speech is relayed as it arrives", () => {
  it("the client reads the first audio bytes while the upstream is still sending", async () => {
    let release: () => void = () => undefined;
    stack.fake("openai").mediaHold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const res = await stack.post("/v1/audio/speech", "openai", { model: "tts-1", voice: "alloy", input: "Hi" });
    expect(res.headers.get("content-length")).toBeNull();
    const reader = res.body!.getReader();
    // Were the gateway buffering the audio, this read would wait for the upstream's end, which waits for it.
    const first = await reader.read();
    expect(first.value?.length).toBeGreaterThan(0);
    release();
    let total = first.value?.length ?? 0;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) total += chunk.value.length;
    expect(total).toBe(fakeSpeechBytes().length);
  });
});

describe("media: pricing and formats", () => {
  it("whisper-1 is priced per second of audio; gpt-4o-transcribe and gpt-image-1 by their token usage", async () => {
    const file = await toFile(AUDIO, "a.wav");
    await client("openai").audio.transcriptions.create({ file, model: "whisper-1" });
    const whisper = await stack.event();
    // genai-prices: whisper-1 at $0.36 per audio hour.
    expect(whisper.cost_nano_usd).toBe(Math.round(FAKE_AUDIO_SECONDS * (0.36 / 3600) * 1e9));
    expect(whisper.pricing_source).toBe("genai-prices");
    stack.reset();
    await client("openai").audio.transcriptions.create({
      file: await toFile(AUDIO, "a.wav"),
      model: "gpt-4o-transcribe",
    });
    const tokens = await stack.event();
    expect(tokens.usage).toMatchObject({ input_tokens: 120, output_tokens: 9, estimated: false });
    expect(tokens.cost_nano_usd).toBeGreaterThan(0);
    stack.reset();
    await client("openai").images.generate({ model: "gpt-image-1", prompt: "a lighthouse" });
    const image = await stack.event();
    expect(image.usage).toMatchObject({ input_tokens: 50, output_tokens: 4160 });
    expect(image.cost_nano_usd).toBe(Math.round(50 * 5 * 1000 + 4160 * 40 * 1000));
  });

  it("response_format text: the transcript as text/plain", async () => {
    const form = new FormData();
    form.append("model", "whisper-1");
    form.append("response_format", "text");
    form.append("file", new Blob([AUDIO]), "a.wav");
    const res = await fetch(`${stack.base}/v1/audio/transcriptions`, {
      method: "POST",
      headers: noType("openai"),
      body: form,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toBe(`${FAKE_TRANSCRIPT}\n`);
  });
});

/** The stack's routing headers without its JSON content-type (fetch sets the multipart boundary). */
function noType(id: HttpProviderId): Record<string, string> {
  const { "content-type": _ct, ...headers } = stack.headers(id);
  return headers;
}

describe("media: bad input is a 4xx naming the problem before any upstream call", () => {
  it("an image size the model does not offer", async () => {
    const res = await stack.post("/v1/images/generations", "openai", {
      model: "dall-e-3",
      prompt: "x",
      size: "256x256",
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe("size");
    expect(body.error.message).toContain("1792x1024");
    expect(stack.fake("openai").calls).toHaveLength(0);
    expect((await stack.event()).status_code).toBe(400);
  });

  it("an upload without a file", async () => {
    const form = new FormData();
    form.append("model", "whisper-1");
    const res = await fetch(`${stack.base}/v1/audio/transcriptions`, {
      method: "POST",
      headers: noType("openai"),
      body: form,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("file");
    expect(stack.fake("openai").calls).toHaveLength(0);
    expect(await stack.event()).toMatchObject({ status_code: 400, endpoint: "/v1/audio/transcriptions" });
  });

  it("an upload over the cap is a 413 naming the file", async () => {
    const form = new FormData();
    form.append("model", "whisper-1");
    form.append("file", new Blob([Buffer.alloc(CAP + 1, 1)]), "big.wav");
    const res = await fetch(`${stack.base}/v1/audio/transcriptions`, {
      method: "POST",
      headers: noType("openai"),
      body: form,
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error).toMatchObject({ param: "file", message: `file is larger than ${CAP} bytes` });
    expect(stack.fake("openai").calls).toHaveLength(0);
  });

  it("a provider without the endpoint, and speech input over 4096 characters", async () => {
    const res = await stack.post("/v1/images/generations", "anthropic", { model: "dall-e-3", prompt: "x" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      "does not offer /v1/images/generations",
    );
    const long = await stack.post("/v1/audio/speech", "openai", {
      model: "tts-1",
      voice: "alloy",
      input: "x".repeat(4097),
    });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { param: string } }).error.param).toBe("input");
    expect(stack.fake("openai").calls).toHaveLength(0);
  });
});
