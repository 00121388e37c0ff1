import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { recordUnhandledRejections } from "@switchyard/platform/testing";
import { afterEach, describe, expect, it } from "vitest";
import { readUploadForm } from "./multipart-upload.ts";

const BOUNDARY = "sy-test-boundary";
const headers = { "content-type": `multipart/form-data; boundary=${BOUNDARY}` };
const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
const tail = `\r\n--${BOUNDARY}--\r\n`;
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Resolves once the event loop has turned `n` times: for asserting that something has NOT happened. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("readUploadForm", () => {
  it("streams the file part to a temporary file and reads the fields", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sy-upload-"));
    dirs.push(dir);
    const payload = new PassThrough();
    const form = readUploadForm(headers, payload, 1_000, dir);
    payload.end(`${head}RIFF-audio-bytes${tail}`);
    const read = await form;
    expect(read.fields).toEqual({ model: "whisper-1" });
    expect(read.file).toMatchObject({ filename: "a.wav", mimeType: "audio/wav", size: 16 });
    expect(read.tooLarge).toBe(false);
  });

  it("fails the form at once when the temporary file cannot be written, while the body is still arriving", async () => {
    const unhandled = recordUnhandledRejections();
    try {
      const payload = new PassThrough();
      const form = readUploadForm(headers, payload, 1_000, join(tmpdir(), "sy-upload-no-such-dir", "nested"));
      payload.write(`${head}first-chunk`); // the rest never arrives: the form must not wait for it
      await expect(form).rejects.toMatchObject({ code: "ENOENT" });
      await turns(5);
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  /** Polls (with a deadline) until the directory holds `n` files, then returns them. */
  async function filesIn(dir: string, n: number): Promise<string[]> {
    const deadline = Date.now() + 5_000;
    while ((await readdir(dir)).length !== n && Date.now() < deadline) await turns(1);
    return readdir(dir);
  }

  it("a client that goes away mid-upload fails the form and leaves no temporary file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sy-upload-"));
    dirs.push(dir);
    const payload = new PassThrough();
    const form = readUploadForm(headers, payload, 1_000, dir);
    payload.write(`${head}first-chunk`);
    expect(await filesIn(dir, 1)).toHaveLength(1); // the part is being written
    payload.destroy(); // as an aborted request closes without ending
    await expect(form).rejects.toThrow(/closed the connection during the upload/);
    expect(await filesIn(dir, 0)).toEqual([]);
  });

  it("a client that goes away after the file part, before the form's end, leaves no temporary file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sy-upload-"));
    dirs.push(dir);
    const payload = new PassThrough();
    const form = readUploadForm(headers, payload, 1_000, dir);
    // The file part ends; a trailing field starts and never ends.
    payload.write(`${head}whole-file\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="language"\r\n\r\nen`);
    expect(await filesIn(dir, 1)).toHaveLength(1);
    payload.destroy();
    await expect(form).rejects.toThrow(/closed the connection during the upload/);
    expect(await filesIn(dir, 0)).toEqual([]);
  });
});
