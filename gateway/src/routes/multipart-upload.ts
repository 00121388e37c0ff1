import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { UploadedFile } from "../providers/provider.ts";

/**
 * The multipart edge of /v1/audio/transcriptions and /translations: busboy reads the form as it
 * arrives; the file part is streamed to a temporary file (never held in memory) and cut off at the
 * cap; text fields are bounded. The route gets `UploadForm` as its body — the endpoint answers a
 * missing file or one over the cap with a 4xx naming `file` (recorded like any request) — and the
 * file is deleted once the response is over. Routing happens after the whole form is read (the
 * `model` field may come after the file), and retries or fallbacks re-read the file from disk.
 */
export interface UploadForm {
  fields: Record<string, string>;
  file: UploadedFile | null;
  /** The file part went past the cap (what was read is already deleted). */
  tooLarge: boolean;
  maxBytes: number;
}

/** OpenAI's own limit for audio uploads. */
export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 64 * 1024;

export function isUploadForm(value: unknown): value is UploadForm {
  return typeof value === "object" && value !== null && "fields" in value && "maxBytes" in value;
}

/** The client went away before the form was answered: nobody to answer (and no event). */
function clientLeft(): Error {
  return new Error("the client closed the connection during the upload");
}

/** A 400 for a malformed form (before admission, like malformed JSON). */
function badForm(message: string): Error & { statusCode: number } {
  return Object.assign(new Error(`invalid multipart body: ${message}`), { statusCode: 400 });
}

export function readUploadForm(
  headers: FastifyRequest["headers"],
  payload: NodeJS.ReadableStream,
  maxBytes: number,
  dir = tmpdir(),
): Promise<UploadForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers,
        limits: { files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, fileSize: maxBytes },
      });
    } catch (error) {
      reject(badForm((error as Error).message));
      return;
    }
    const form: UploadForm = {
      fields: Object.create(null) as Record<string, string>,
      file: null,
      tooLarge: false,
      maxBytes,
    };
    const writes: Promise<void>[] = [];
    /**
     * The form failed: answered once, the rest of the body drained, and a part already written deleted (no
     * request body will name it for the onResponse cleanup). Later failures of the same form are ignored.
     */
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      payload.unpipe(parser);
      payload.resume();
      if (form.file) void unlink(form.file.path).catch(() => undefined);
      reject(error);
    };
    parser.on("field", (name, value) => {
      form.fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      if (name !== "file") {
        stream.resume(); // only OpenAI's `file` part is an upload
        return;
      }
      const path = join(dir, `switchyard-upload-${randomUUID()}`);
      let size = 0;
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
      });
      stream.on("limit", () => {
        form.tooLarge = true;
      });
      const write = pipeline(stream, createWriteStream(path)).then(async () => {
        if (form.tooLarge || failed) {
          await unlink(path).catch(() => undefined);
          return;
        }
        form.file = { path, filename: info.filename || "audio", mimeType: info.mimeType, size };
      });
      // The temporary file failed (disk full, a missing or read-only directory) or the client went away: the
      // form fails now. busboy never closes once its file stream is destroyed, so waiting for "close" would
      // hang the request and leave this rejection unhandled, which ends the process.
      write.catch((error: unknown) => {
        void unlink(path).catch(() => undefined);
        fail(error);
      });
      writes.push(write);
    });
    parser.on("error", (error) => fail(badForm((error as Error).message)));
    parser.on("close", () => {
      Promise.all(writes).then(() => resolve(form), fail); // a failed form was answered already: resolve is a no-op
    });
    // A client that goes away mid-upload never ends the form: it fails as abandoned (not as a malformed form),
    // and the parser is destroyed, and with it a file part still being written (its file is deleted above).
    let ended = false;
    payload.once("end", () => {
      ended = true;
    });
    payload.once("close", () => {
      if (ended) return;
      fail(clientLeft());
      parser.destroy();
    });
    payload.pipe(parser);
  });
}

/**
 * Registers `multipart/form-data` on `scope` (an encapsulated plugin: other routes keep refusing it)
 * and deletes each request's upload once its response is over.
 */
export function acceptUploads(scope: FastifyInstance, maxBytes: number): void {
  scope.addContentTypeParser("multipart/form-data", (request, payload, done) => {
    readUploadForm(request.headers, payload, maxBytes).then(
      (form) => {
        // The client left while the form was read (its close came before any handler could see it): nobody
        // to answer, so no upstream call and no event, as for a client that leaves mid-upload.
        if (request.raw.socket?.destroyed === true) {
          if (form.file) void unlink(form.file.path).catch(() => undefined);
          done(clientLeft(), undefined);
          return;
        }
        done(null, form);
      },
      (error: Error) => done(error, undefined),
    );
  });
  const cleanup = async (request: FastifyRequest) => {
    const body = request.body;
    if (isUploadForm(body) && body.file) await unlink(body.file.path).catch(() => undefined);
  };
  scope.addHook("onResponse", cleanup);
  scope.addHook("onRequestAbort", cleanup);
}
