import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { OutgoingRecord } from "../event-bus.ts";
import { quietLogger, readOffsetValues, tempDirPerTest } from "../test-support.ts";
import { EmbeddedEventBus } from "./embedded-event-bus.ts";
import { segmentBaseOffset } from "./log-segment.ts";
import { writeLogStart } from "./log-start.ts";

const TOPIC = "llm.requests.v1";
const dir = tempDirPerTest("segment-deletion");
const partition0 = () => join(dir.path, TOPIC, "0");
const record = (i: number): OutgoingRecord => ({ key: "k", value: Buffer.from(`record-${i}`) });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => record(from + i));

async function segmentBases(): Promise<number[]> {
  return (await readdir(partition0()))
    .map(segmentBaseOffset)
    .filter((b): b is number => b !== null)
    .sort((a, b) => a - b);
}

/** 100 records over many 256-byte segments; returns the segment bases. */
async function writeLog(): Promise<number[]> {
  const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, segmentBytes: 256 });
  await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
  await bus.publish(TOPIC, range(0, 100));
  await bus.close();
  return segmentBases();
}

const expectedFrom = (start: number, end: number) =>
  Array.from({ length: end - start }, (_, i) => `${start + i}:record-${start + i}`);

/**
 * Every state a crash can leave segment deletion in (segment-deletion.ts): the marker naming the
 * new start is durable before any unlink, and the unlinks may reach the disk in any order.
 */
describe("crash mid-deletion", () => {
  it("before the marker's rename: nothing happened, the whole log is there", async () => {
    const bases = await writeLog();
    await writeFile(join(partition0(), "log-start.json.tmp-999-1"), '{"startOffset":');
    const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, segmentBytes: 256 });
    expect(await readOffsetValues(bus, TOPIC, 100)).toEqual(expectedFrom(0, 100));
    await bus.close();
    expect(await segmentBases()).toEqual(bases);
    expect((await readdir(partition0())).filter((n) => n.startsWith("log-start"))).toEqual([]);
  });

  const states: [string, (below: number[]) => number[]][] = [
    ["marker written, nothing unlinked yet", () => []],
    ["the oldest segments unlinked", (below) => below.slice(0, 2)],
    ["a later segment's unlink persisted, an older one's not", (below) => [below[3]!]],
    ["every unlink done, directory not yet synced", (below) => below],
  ];
  for (const [state, unlinked] of states) {
    it(`${state}: reopens at the marker, finishes the deletion, keeps every offset`, async () => {
      const bases = await writeLog();
      const cut = bases[5]!;
      await writeLogStart(partition0(), cut);
      for (const base of unlinked(bases.filter((b) => b < cut))) {
        await rm(join(partition0(), `${String(base).padStart(20, "0")}.log`));
      }
      // A reader opening first skips the leftovers without touching them.
      const reader = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, access: "read-only" });
      expect(await readOffsetValues(reader, TOPIC, 100 - cut)).toEqual(expectedFrom(cut, 100));
      await reader.close();

      const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, segmentBytes: 256 });
      expect(await bus.endOffsets(TOPIC)).toEqual(new Map([[0, "100"]]));
      expect(await segmentBases()).toEqual(bases.filter((b) => b >= cut));
      await bus.publish(TOPIC, range(100, 110));
      expect(await readOffsetValues(bus, TOPIC, 110 - cut)).toEqual(expectedFrom(cut, 110));
      await bus.close();
    });
  }

  it("keeps the start offset when no segment is left: offsets are never reused", async () => {
    await writeLog();
    await writeLogStart(partition0(), 100);
    for (const base of await segmentBases()) await rm(join(partition0(), `${String(base).padStart(20, "0")}.log`));
    const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
    expect(await bus.endOffsets(TOPIC)).toEqual(new Map([[0, "100"]]));
    await bus.publish(TOPIC, range(100, 103));
    expect(await readOffsetValues(bus, TOPIC, 3)).toEqual(expectedFrom(100, 103));
    await bus.close();
  });

  it("refuses a log whose first segment is past its recorded start (lost data, not a crash artefact)", async () => {
    const bases = await writeLog();
    await writeLogStart(partition0(), bases[2]!);
    await rm(join(partition0(), `${String(bases[2]!).padStart(20, "0")}.log`));
    const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
    await expect(bus.endOffsets(TOPIC)).rejects.toThrow(/is not the log start/);
    await bus.close();
  });
});
