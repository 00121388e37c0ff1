/**
 * The statement's values in one piece. Buffers (ingest's insert bodies) are joined into one Buffer whose
 * memory is handed to the worker (transferred, not copied) and from there to the engine as bytes: a
 * string of tens of MB was copied three times on the way (structured clone, SQL concatenation, UTF-8).
 */
export async function bodyOf(values: unknown): Promise<string | ArrayBuffer | undefined> {
  if (values === undefined) return undefined;
  if (typeof values === "string") return values;
  // The caller's own bytes are copied (transferring would detach them under the caller's feet).
  if (values instanceof Uint8Array) return ownArrayBuffer(values, false);
  const parts: Array<string | Uint8Array> = [];
  let binary = true;
  for await (const chunk of values as AsyncIterable<unknown>) {
    if (typeof chunk === "string") binary = false;
    parts.push(typeof chunk === "string" ? chunk : (chunk as Uint8Array));
  }
  if (binary) return ownArrayBuffer(Buffer.concat(parts as Uint8Array[]), true);
  return parts.map((p) => (typeof p === "string" ? p : Buffer.from(p).toString("utf8"))).join("");
}

/**
 * `bytes` as an ArrayBuffer holding exactly them, safe to transfer: `fresh` bytes (just allocated here)
 * that fill their own ArrayBuffer are used as they are, anything else (a pooled small Buffer, the
 * caller's own) is copied.
 */
function ownArrayBuffer(bytes: Uint8Array, fresh: boolean): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = bytes;
  if (fresh && buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return buffer;
  const copy = new Uint8Array(byteLength);
  copy.set(bytes);
  return copy.buffer;
}
