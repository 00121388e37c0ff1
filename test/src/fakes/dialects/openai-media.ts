import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/**
 * OpenAI's media endpoints as the real API answers them, for the OpenAI dialect's hosts:
 * `POST …/images/generations` (JSON; gpt-image-1 reports token usage), `POST …/audio/speech`
 * (binary audio written in several pieces, `audio/mpeg`), and `POST …/audio/transcriptions` /
 * `…/translations` (a real multipart form read with the platform's FormData parser; whisper-1 reports
 * `usage: {type: "duration", seconds}`, gpt-4o-transcribe token usage; `response_format: text` is
 * plain text). What each request carried is handed back for the tests to assert.
 */
export const FAKE_AUDIO_SECONDS = 12;
export const FAKE_TRANSCRIPT = "Hello from the fake transcription.";
/** The speech audio: recognisable bytes, written in SPEECH_PIECES pieces. */
export const SPEECH_PIECES = 4;
export function fakeSpeechBytes(): Buffer {
  return Buffer.concat(Array.from({ length: SPEECH_PIECES }, (_, i) => Buffer.alloc(1024, i + 1)));
}

export type MediaKind = "images" | "speech" | "transcriptions" | "translations";

export function mediaKindOf(pathname: string): MediaKind | null {
  if (pathname.endsWith("/images/generations")) return "images";
  if (pathname.endsWith("/audio/speech")) return "speech";
  if (pathname.endsWith("/audio/transcriptions")) return "transcriptions";
  if (pathname.endsWith("/audio/translations")) return "translations";
  return null;
}

export interface MediaRecord {
  body: Record<string, unknown>;
  raw: string;
}

const json = (res: ServerResponse, status: number, body: object) => {
  res.writeHead(status, { "content-type": "application/json", "x-ratelimit-remaining-requests": "99" });
  res.end(JSON.stringify(body));
};

/** Answers one media request; returns what it carried (the form's fields and file, or the JSON). */
export async function answerMedia(
  kind: MediaKind,
  req: IncomingMessage,
  res: ServerResponse,
  /** Speech: after the first piece, wait for this before the rest (shows the gateway relays as it arrives). */
  hold: Promise<void> | null = null,
): Promise<MediaRecord> {
  if (kind === "transcriptions" || kind === "translations") {
    const request = new Request("http://fake/upload", {
      method: "POST",
      headers: req.headers as Record<string, string>,
      body: Readable.toWeb(req) as ReadableStream,
      duplex: "half",
    } as RequestInit);
    const form = await request.formData();
    const fields: Record<string, unknown> = {};
    let file: File | null = null;
    for (const [name, value] of form.entries()) {
      if (typeof value === "string") fields[name] = value;
      else if (name === "file") file = value;
    }
    const body = { ...fields, file_name: file?.name ?? null, file_size: file?.size ?? null };
    if (!file) {
      json(res, 400, { error: { message: "Missing file", type: "invalid_request_error", param: "file", code: null } });
      return { body, raw: "" };
    }
    if (fields.response_format === "text") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${FAKE_TRANSCRIPT}\n`);
      return { body, raw: "" };
    }
    const usage =
      fields.model === "whisper-1"
        ? { type: "duration", seconds: FAKE_AUDIO_SECONDS }
        : { type: "tokens", input_tokens: 120, output_tokens: 9, total_tokens: 129 };
    json(res, 200, { text: FAKE_TRANSCRIPT, usage });
    return { body, raw: "" };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  const body = JSON.parse(raw || "{}") as Record<string, unknown>;
  if (kind === "images") {
    const n = typeof body.n === "number" ? body.n : 1;
    const gptImage = String(body.model).startsWith("gpt-image");
    const data = Array.from({ length: n }, (_, i) =>
      body.response_format === "b64_json" || gptImage
        ? { b64_json: Buffer.from(`png-${i}`).toString("base64") }
        : { url: `https://images.fake/${i}.png` },
    );
    const usage = gptImage
      ? {
          input_tokens: 50,
          output_tokens: 4160,
          total_tokens: 4210,
          input_tokens_details: { text_tokens: 50, image_tokens: 0 },
        }
      : undefined;
    json(res, 200, { created: 1_700_000_000, data, ...(usage ? { usage } : {}) });
    return { body, raw };
  }
  // Speech: the audio in pieces, each its own write, as a real host streams it.
  res.writeHead(200, { "content-type": "audio/mpeg", "transfer-encoding": "chunked" });
  const audio = fakeSpeechBytes();
  for (let i = 0; i < SPEECH_PIECES; i++) {
    res.write(audio.subarray(i * 1024, (i + 1) * 1024));
    if (i === 0 && hold) await hold;
  }
  res.end();
  return { body, raw };
}
