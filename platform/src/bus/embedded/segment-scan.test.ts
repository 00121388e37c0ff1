import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeFrame } from "../record-frame.ts";
import { tempDirPerTest } from "../test-support.ts";
import { indexFrames, type Segment, scanSegment, segmentFileName } from "./log-segment.ts";

const dir = tempDirPerTest("segment-scan");

/** Frames of offsets 0.. with values of the given sizes (bytes of one repeated letter). */
function frames(sizes: number[]): Buffer[] {
  return sizes.map((size, o) => encodeFrame({ o, t: 1_000 + o, k: `key-${o}` }, Buffer.alloc(size, 97 + (o % 26))));
}

/** What indexing the whole file at once gives: the scan must give the same. */
async function indexedWhole(path: string): Promise<{ segment: Segment; outcome: unknown }> {
  const segment: Segment = { baseOffset: 0, path, positions: [], size: 0, maxTimestamp: 0 };
  const outcome = indexFrames(segment, await readFile(path), 0);
  return { segment, outcome };
}

describe("scanSegment", () => {
  it("indexes records that straddle its read chunks, and one larger than a chunk, as one read would", async () => {
    // 4 MiB chunks: records of ~1.5 MiB cross chunk ends; one of 9 MiB needs a bigger buffer.
    const sizes = [100, 1_500_000, 1_500_000, 1_500_000, 9_000_000, 10, 1_500_000, 3_000_000, 200];
    const path = join(dir.path, segmentFileName(0));
    await writeFile(path, Buffer.concat(frames(sizes)));
    const scanned = await scanSegment(dir.path, 0);
    expect(scanned.outcome).toEqual({ complete: true });
    expect(scanned.segment.positions).toHaveLength(sizes.length);
    expect(scanned).toEqual(await indexedWhole(path));
  });

  it("stops at a torn tail or a corrupt record past the first chunk, as one read would", async () => {
    const sizes = [2_000_000, 2_000_000, 2_000_000, 300];
    const whole = Buffer.concat(frames(sizes));
    const path = join(dir.path, segmentFileName(0));
    for (const bytes of [whole.subarray(0, whole.length - 100), whole.subarray(0, 5_000_000)]) {
      await writeFile(path, bytes);
      const scanned = await scanSegment(dir.path, 0);
      expect(scanned.outcome).toEqual({ complete: false, reason: "incomplete record" });
      expect(scanned).toEqual(await indexedWhole(path));
    }
    const corrupt = Buffer.from(whole);
    corrupt[4_100_000] = corrupt[4_100_000]! ^ 0xff; // inside the third record, in the second chunk
    await writeFile(path, corrupt);
    const scanned = await scanSegment(dir.path, 0);
    expect(scanned.outcome).toEqual({ complete: false, reason: "crc mismatch" });
    expect(scanned.segment.positions).toHaveLength(2);
    expect(scanned).toEqual(await indexedWhole(path));
  });

  it("indexes an empty segment as empty", async () => {
    await writeFile(join(dir.path, segmentFileName(0)), Buffer.alloc(0));
    const scanned = await scanSegment(dir.path, 0);
    expect(scanned.outcome).toEqual({ complete: true });
    expect(scanned.segment.positions).toEqual([]);
  });
});
