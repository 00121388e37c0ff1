import { crc32 } from "node:zlib";

/**
 * On-disk framing shared by the embedded log and the publish spool. Big-endian:
 *
 *   u32 bodyLength | u32 crc32(body) | body = u32 headerLength | header (UTF-8 JSON) | value bytes
 *
 * The length prefix lets a reader skip records without parsing them; the CRC over the whole
 * body tells a complete record from a torn or corrupted one (a crash mid-write leaves a short or
 * garbage tail, which fails one of the two checks).
 */
export const FRAME_PREFIX_BYTES = 8;
/** Anything larger is garbage read as a length, not a record (Kafka's own default limit is 1 MiB). */
export const MAX_FRAME_BODY_BYTES = 64 * 1024 * 1024;

export function encodeFrame(header: unknown, value: Uint8Array): Buffer {
  return Buffer.concat([encodeFrameHead(JSON.stringify(header), value), value]);
}

/**
 * Everything of a frame but its value: prefix and header, with the CRC taken over the header
 * and then continued over `value` (crc32's second argument), so the value is never copied. The
 * frame on disk is this buffer followed by `value` (the log writes both with one writev).
 */
export function encodeFrameHead(headerJson: string, value: Uint8Array): Buffer {
  return frameHead(headerJson, Buffer.byteLength(headerJson, "utf8"), "utf8", value);
}

/**
 * encodeFrameHead for a header known to be ASCII (the log's usual header: offset, time, a plain key):
 * its length is its byte count and it is copied as Latin-1, skipping the UTF-8 measuring and encoding
 * (an append's head costs ~1.35 → ~1.05 µs; the bytes are the same as encodeFrameHead's).
 */
export function encodeAsciiFrameHead(headerJson: string, value: Uint8Array): Buffer {
  return frameHead(headerJson, headerJson.length, "latin1", value);
}

/** The head of a frame whose header takes `headerLength` bytes in `encoding`. */
function frameHead(headerJson: string, headerLength: number, encoding: "utf8" | "latin1", value: Uint8Array): Buffer {
  const head = Buffer.allocUnsafe(12 + headerLength);
  head.writeUInt32BE(4 + headerLength + value.length, 0);
  head.writeUInt32BE(headerLength, 8);
  head.write(headerJson, 12, encoding);
  head.writeUInt32BE(crc32(value, crc32(head.subarray(FRAME_PREFIX_BYTES))), 4);
  return head;
}

export type FrameRead =
  | { kind: "frame"; header: unknown; value: Buffer; next: number }
  /** The buffer ends inside this frame: a torn tail, or a write another process has not finished. */
  | { kind: "incomplete" }
  | { kind: "corrupt"; reason: string };

/** Where a frame's parts lie in its buffer: header bytes [headerStart, valueStart), value [valueStart, next). */
export type FrameBounds =
  | { kind: "frame"; headerStart: number; valueStart: number; next: number }
  | { kind: "incomplete" }
  | { kind: "corrupt"; reason: string };

/**
 * The bounds of the frame starting at `position`, its CRC checked unless `verifyCrc` is false (a reader
 * whose frames were checked when they were indexed). Nothing is copied or parsed.
 */
export function frameBounds(buffer: Buffer, position: number, verifyCrc = true): FrameBounds {
  if (buffer.length - position < FRAME_PREFIX_BYTES) return { kind: "incomplete" };
  const bodyLength = buffer.readUInt32BE(position);
  if (bodyLength < 4 || bodyLength > MAX_FRAME_BODY_BYTES) {
    return { kind: "corrupt", reason: `implausible frame length ${bodyLength}` };
  }
  const bodyStart = position + FRAME_PREFIX_BYTES;
  const next = bodyStart + bodyLength;
  if (next > buffer.length) return { kind: "incomplete" };
  if (verifyCrc && crc32(buffer.subarray(bodyStart, next)) !== buffer.readUInt32BE(position + 4)) {
    return { kind: "corrupt", reason: "crc mismatch" };
  }
  const headerLength = buffer.readUInt32BE(bodyStart);
  if (4 + headerLength > bodyLength) return { kind: "corrupt", reason: "header longer than frame" };
  return { kind: "frame", headerStart: bodyStart + 4, valueStart: bodyStart + 4 + headerLength, next };
}

/** Decodes the frame starting at `position`. The value is a view into `buffer`, not a copy. */
export function readFrame(buffer: Buffer, position: number): FrameRead {
  const bounds = frameBounds(buffer, position);
  if (bounds.kind !== "frame") return bounds;
  let header: unknown;
  try {
    header = JSON.parse(buffer.toString("utf8", bounds.headerStart, bounds.valueStart));
  } catch {
    return { kind: "corrupt", reason: "unparseable header" };
  }
  return { kind: "frame", header, value: buffer.subarray(bounds.valueStart, bounds.next), next: bounds.next };
}
