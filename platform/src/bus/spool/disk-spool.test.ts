import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { quietLogger, tempDirPerTest } from "../test-support.ts";
import { DiskSpool, type SpooledRecord } from "./disk-spool.ts";

const dir = tempDirPerTest("disk-spool");
const entry = (i: number): SpooledRecord => ({
  topic: "llm.requests.v1",
  record: { key: `trace-${i}`, value: Buffer.from(`event-${i}-${"x".repeat(100)}`), headers: { traceparent: "t" } },
});
const spoolFiles = async () => (await readdir(dir.path)).filter((n) => n.startsWith("spool-"));

describe("DiskSpool retention: it deletes what was delivered, and only that", () => {
  it("keeps disk use bounded by what is undelivered while records flow through many files", async () => {
    const spool = await DiskSpool.open(dir.path, 1024, quietLogger);
    let peak = 0;
    let delivered = 0;
    for (let round = 0; round < 40; round += 1) {
      await spool.append(Array.from({ length: 20 }, (_, i) => entry(round * 20 + i)));
      // Deliver every file now readable (what the replay loop does once the bus acknowledged it).
      for (let file = await spool.nextFile(); file; file = await spool.nextFile()) {
        delivered += file.entries.length;
        await spool.remove(file);
      }
      peak = Math.max(peak, (await spoolFiles()).length);
    }
    expect(delivered).toBe(800);
    expect(spool.records).toBe(0);
    expect(peak).toBeLessThanOrEqual(4);
    expect(await spoolFiles()).toEqual([]);
    await spool.close();
  });

  it("never deletes an undelivered file: a restart before remove() replays it whole (at-least-once)", async () => {
    const spool = await DiskSpool.open(dir.path, 512, quietLogger);
    await spool.append(Array.from({ length: 10 }, (_, i) => entry(i)));
    const first = await spool.nextFile();
    expect(first?.entries.length).toBeGreaterThan(0);
    await spool.remove(first!);
    await spool.append(Array.from({ length: 10 }, (_, i) => entry(10 + i)));
    const second = await spool.nextFile();
    // Handed to the bus but not acknowledged when the process dies: no remove().
    await spool.close();
    const reopened = await DiskSpool.open(dir.path, 512, quietLogger);
    expect(reopened.records).toBe(second!.entries.length);
    const again = await reopened.nextFile();
    expect(again?.entries.map((e) => e.record.key)).toEqual(second!.entries.map((e) => e.record.key));
    await reopened.remove(again!);
    expect(await reopened.nextFile()).toBeNull();
    expect(await spoolFiles()).toEqual([]);
    await reopened.close();
  });
});
