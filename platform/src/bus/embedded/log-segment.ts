import { open } from "node:fs/promises";
import { join } from "node:path";
import { encodeAsciiFrameHead, encodeFrameHead, FRAME_PREFIX_BYTES, frameBounds } from "../record-frame.ts";
import { readFullyAt } from "./fd-io.ts";
import { isStoredHeader, parseStoredHeader } from "./stored-header.ts";

/**
 * `JSON.stringify({ o, t, k, h? })` of a StoredHeader, built directly: it runs per appended record.
 * `h` is left out when there are no headers.
 */
export function storedHeaderJson(
  offset: number,
  timestamp: number,
  key: string | null,
  headers: Record<string, string> | undefined,
): string {
  const k = key === null ? "null" : JSON.stringify(key);
  const h = headers !== undefined && hasKeys(headers) ? `,"h":${JSON.stringify(headers)}` : "";
  return `{"o":${offset},"t":${timestamp},"k":${k}${h}}`;
}

/** Printable ASCII without `"` and backslash: JSON.stringify(key) is the key in quotes, and every char is one byte. */
const PLAIN_KEY = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * The head of an appended record's frame (record-frame.ts) with storedHeaderJson's header. A record
 * without headers whose key is plain ASCII (the gateway's: a trace id) is built straight as ASCII;
 * any other goes through storedHeaderJson and encodeFrameHead. The bytes are the same either way.
 */
export function storedRecordHead(
  offset: number,
  timestamp: number,
  key: string | null,
  headers: Record<string, string> | undefined,
  value: Uint8Array,
): Buffer {
  if ((headers !== undefined && hasKeys(headers)) || (key !== null && !PLAIN_KEY.test(key))) {
    return encodeFrameHead(storedHeaderJson(offset, timestamp, key, headers), value);
  }
  const k = key === null ? "null" : `"${key}"`;
  return encodeAsciiFrameHead(`{"o":${offset},"t":${timestamp},"k":${k}}`, value);
}

function hasKeys(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}

/**
 * One segment file `<baseOffset:20 digits>.log` of a partition. Record i of the segment has
 * offset baseOffset + i and starts at byte positions[i]; size is the end of the last complete
 * record (anything past it is a torn tail, or bytes another process is still writing).
 */
export interface Segment {
  baseOffset: number;
  path: string;
  positions: number[];
  size: number;
  /** Newest append time of its records (0 while empty): retention ages a segment by it, like Kafka. */
  maxTimestamp: number;
}

const SEGMENT_FILE = /^(\d{20})\.log$/;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, "0")}.log`;
}

export function segmentBaseOffset(fileName: string): number | null {
  const match = SEGMENT_FILE.exec(fileName);
  return match ? Number(match[1]) : null;
}

export type ScanOutcome = { complete: true } | { complete: false; reason: string };

/** The reason indexFrames gives when its bytes end inside a record. */
const INCOMPLETE = "incomplete record";

/**
 * Indexes frames of `bytes` (which start at file position `startPosition`) into the segment,
 * stopping at the first frame that is incomplete, corrupt, or carries an unexpected offset.
 */
export function indexFrames(segment: Segment, bytes: Buffer, startPosition: number): ScanOutcome {
  let position = 0;
  while (position < bytes.length) {
    const frame = frameBounds(bytes, position);
    if (frame.kind === "incomplete") return { complete: false, reason: INCOMPLETE };
    if (frame.kind === "corrupt") return { complete: false, reason: frame.reason };
    const header = parseStoredHeader(bytes, frame.headerStart, frame.valueStart);
    if (header === undefined) return { complete: false, reason: "unparseable header" };
    const expected = segment.baseOffset + segment.positions.length;
    if (!isStoredHeader(header) || header.o !== expected) {
      return { complete: false, reason: `record does not carry offset ${expected}` };
    }
    segment.positions.push(startPosition + position);
    segment.maxTimestamp = Math.max(segment.maxTimestamp, header.t);
    position = frame.next;
    segment.size = startPosition + position;
  }
  return { complete: true };
}

/** Offset after the segment's last record. */
export function segmentEnd(segment: Segment): number {
  return segment.baseOffset + segment.positions.length;
}

/** The segment holding `offset` (the last one whose base is at or below it); `segments` is not empty. */
export function segmentFor(segments: readonly Segment[], offset: number): Segment {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (segments[mid]!.baseOffset <= offset) low = mid;
    else high = mid - 1;
  }
  return segments[low]!;
}

/** Bytes a scan reads at a time (one buffer, reused; a larger record gets a buffer of its own size). */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Reads and indexes a whole segment file (used when a partition is opened), in chunks of SCAN_CHUNK_BYTES
 * through one reused buffer: reading a 64 MiB segment whole allocated 64 MiB of memory outside V8's heap
 * per segment, and each such allocation counts towards the external-memory growth that makes V8 start a
 * full garbage collection. The index keeps positions only (keys and headers are copied), so no view of
 * the buffer outlives its chunk. The outcome is the same as indexing the whole file at once.
 */
export async function scanSegment(
  dir: string,
  baseOffset: number,
): Promise<{ segment: Segment; outcome: ScanOutcome }> {
  const path = join(dir, segmentFileName(baseOffset));
  const segment: Segment = { baseOffset, path, positions: [], size: 0, maxTimestamp: 0 };
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    let buffer = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, size));
    let position = 0;
    while (position < size) {
      const length = Math.min(buffer.length, size - position);
      await readFullyAt(handle.fd, buffer, length, position, path);
      const outcome = indexFrames(segment, buffer.subarray(0, length), position);
      if (outcome.complete) {
        position += length;
        continue;
      }
      // A record cut by the chunk's end (not the file's) is read again from its start by the next chunk.
      if (outcome.reason !== INCOMPLETE || position + length >= size) return { segment, outcome };
      if (segment.size <= position) {
        // Not one whole record in the chunk: the next one is larger than the buffer.
        const frameBytes = FRAME_PREFIX_BYTES + (length >= 4 ? buffer.readUInt32BE(0) : 0);
        buffer = Buffer.allocUnsafe(Math.max(buffer.length * 2, frameBytes));
        continue;
      }
      position = segment.size;
    }
    return { segment, outcome: { complete: true } };
  } finally {
    await handle.close();
  }
}

export interface LogRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  headers: Record<string, string>;
  value: Buffer;
}

/**
 * Decodes the records [from, to) of a segment from `bytes`, which start at record `from`. The CRCs are
 * not checked again: a frame enters a segment's index only once its CRC passed (indexFrames, when a
 * partition is opened or a reader refreshes) or because this process wrote it, and a CRC costs ~0.6 µs
 * per 1.3 KB record, per read. Lengths, header and offset are still checked, so a read at a wrong
 * position fails.
 */
export function decodeRecords(segment: Segment, bytes: Buffer, from: number, to: number): LogRecord[] {
  const records: LogRecord[] = new Array(to - from);
  let position = 0;
  for (let offset = from; offset < to; offset += 1) {
    const frame = frameBounds(bytes, position, false);
    const header = frame.kind === "frame" ? parseStoredHeader(bytes, frame.headerStart, frame.valueStart) : undefined;
    if (frame.kind !== "frame" || !isStoredHeader(header) || header.o !== offset) {
      throw new Error(`${segment.path}: record ${offset} is unreadable`);
    }
    const { t, k, h } = header;
    records[offset - from] = {
      offset,
      timestamp: t,
      key: k,
      headers: h ?? {},
      value: bytes.subarray(frame.valueStart, frame.next),
    };
    position = frame.next;
  }
  return records;
}
