import { appendFile, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { OutgoingRecord } from "../event-bus.ts";
import { encodeFrame } from "../record-frame.ts";
import { quietLogger, readOffsetValues, tempDirPerTest, waitFor } from "../test-support.ts";
import { EmbeddedEventBus } from "./embedded-event-bus.ts";
import { segmentFileName } from "./log-segment.ts";

const TOPIC = "llm.feedback.v1";
const dir = tempDirPerTest("partition-log");
const partition0 = () => join(dir.path, TOPIC, "0");
const record = (i: number): OutgoingRecord => ({ key: "same-key", value: Buffer.from(`record-${i}`) });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => record(from + i));

async function writeAndClose(count: number, segmentBytes = 1 << 20): Promise<void> {
  const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, segmentBytes });
  await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
  await bus.publish(TOPIC, range(0, count));
  await bus.close();
}

describe("embedded log recovery", () => {
  it("truncates a torn tail left by a crash mid-write and appends after it", async () => {
    await writeAndClose(10);
    const segment = join(partition0(), segmentFileName(0));
    const goodSize = (await stat(segment)).size;
    const frame = encodeFrame({ o: 10, t: Date.now(), k: "same-key" }, Buffer.from("never acknowledged"));
    await appendFile(segment, frame.subarray(0, frame.length - 5));

    const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
    expect(await bus.endOffsets(TOPIC)).toEqual(new Map([[0, "10"]]));
    expect((await stat(segment)).size).toBe(goodSize);
    await bus.publish(TOPIC, range(10, 15));
    const values = await readOffsetValues(bus, TOPIC, 15);
    expect(values).toEqual(Array.from({ length: 15 }, (_, i) => `${i}:record-${i}`));
    await bus.close();
  });

  it("drops a last record whose checksum does not match", async () => {
    await writeAndClose(5);
    const segment = join(partition0(), segmentFileName(0));
    const bytes = await readFile(segment);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(segment, bytes);

    const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
    expect(await bus.endOffsets(TOPIC)).toEqual(new Map([[0, "4"]]));
    await bus.close();
  });

  it("refuses to open over a corrupt sealed segment instead of silently losing what follows", async () => {
    await writeAndClose(40, 256);
    const segments = (await readdir(partition0())).filter((f) => f.endsWith(".log")).sort();
    expect(segments.length).toBeGreaterThan(2);
    const sealed = join(partition0(), segments[0]!);
    const bytes = await readFile(sealed);
    bytes[20] = bytes[20]! ^ 0xff;
    await writeFile(sealed, bytes);
    const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
    await expect(bus.endOffsets(TOPIC)).rejects.toThrow(/corrupt record/);
    await bus.close();
  });

  it("rolls segments at the size limit and reads across them after a restart", async () => {
    await writeAndClose(100, 512);
    const segments = (await readdir(partition0())).filter((f) => f.endsWith(".log"));
    expect(segments.length).toBeGreaterThan(5);
    for (const name of segments) expect((await stat(join(partition0(), name))).size).toBeLessThanOrEqual(512);
    const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, segmentBytes: 512 });
    await bus.publish(TOPIC, range(100, 120));
    expect(await readOffsetValues(bus, TOPIC, 120)).toEqual(Array.from({ length: 120 }, (_, i) => `${i}:record-${i}`));
    await bus.close();
  });

  it("a read-only instance sees another writer's appends through the poll fallback", async () => {
    await writeAndClose(3);
    const writer = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, segmentBytes: 256 });
    const reader = await EmbeddedEventBus.open({
      dataDir: dir.path,
      logger: quietLogger,
      access: "read-only",
      pollIntervalMs: 25,
    });
    const values: string[] = [];
    await reader.subscribe({
      groupId: "tail",
      topics: [TOPIC],
      fromBeginning: true,
      handleBatch: async (batch) => {
        for (const m of batch.messages) values.push(m.value!.toString());
      },
    });
    await waitFor("the 3 old records", () => values.length === 3);
    await writer.publish(TOPIC, range(3, 30));
    await waitFor("the 27 appended records, across segment rolls", () => values.length === 30);
    expect(values).toEqual(Array.from({ length: 30 }, (_, i) => `record-${i}`));
    await expect(reader.publish(TOPIC, range(0, 1))).rejects.toThrow(/read-only/);
    await reader.close();
    await writer.close();
  });
});
