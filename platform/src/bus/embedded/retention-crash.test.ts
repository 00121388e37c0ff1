import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { quietLogger, tempDirPerTest, waitFor } from "../test-support.ts";
import { EmbeddedEventBus } from "./embedded-event-bus.ts";
import { segmentBaseOffset } from "./log-segment.ts";
import { readLogStart } from "./log-start.ts";
import { PartitionLog } from "./partition-log.ts";

const CHILD = fileURLToPath(new URL("./retention-crash-child.ts", import.meta.url));
const TOPIC = "llm.requests.v1";
const dir = tempDirPerTest("retention-crash");

/** Runs the child until it acknowledged `minAcks` more publishes, then SIGKILLs it; returns its last ack. */
async function runAndKill(minAcks: number): Promise<number> {
  const child = spawn(process.execPath, [CHILD, dir.path], { stdio: ["ignore", "pipe", "inherit"] });
  let acked = -1;
  let acks = 0;
  let exited = false;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    for (const line of chunk.split("\n")) {
      const match = /^ack (\d+)$/.exec(line);
      if (match) {
        acked = Number(match[1]);
        acks += 1;
      }
    }
  });
  child.on("exit", () => {
    exited = true;
  });
  await waitFor(`${minAcks} acknowledged publishes`, () => acks >= minAcks || exited, 60_000);
  child.kill("SIGKILL");
  await waitFor("the child to die", () => exited);
  expect(acks).toBeGreaterThanOrEqual(minAcks);
  return acked;
}

describe("retention under SIGKILL", () => {
  it("leaves a readable, contiguous log with every acknowledged record after each of 10 kills", async () => {
    let leftoversSeen = 0;
    let deletedHeads = 0;
    for (let kill = 0; kill < 10; kill += 1) {
      const acked = await runAndKill(10 + kill * 5);
      const partition = join(dir.path, TOPIC, "0");
      const marker = await readLogStart(partition);
      const bases = (await readdir(partition)).map(segmentBaseOffset).filter((b): b is number => b !== null);
      if (marker !== null && bases.some((b) => b < marker)) leftoversSeen += 1;

      // The writer's open finishes an interrupted deletion; then the partition is read directly
      // (a consumer group would commit, and its offsets would pin later deletions).
      const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
      const end = Number((await bus.endOffsets(TOPIC)).get(0));
      const start = Number((await bus.startOffsets(TOPIC)).get(0));
      await bus.close();
      if (start > 0) deletedHeads += 1;
      expect(end).toBeGreaterThanOrEqual(acked);
      const log = await PartitionLog.open({ dir: partition, segmentBytes: 4096, writable: false, logger: quietLogger });
      const values: string[] = [];
      for (let from = 0; from < end; ) {
        const records = await log.read(from, 10_000, 1 << 24);
        const last = records.at(-1);
        if (!last) break;
        for (const r of records) values.push(`${r.offset}=${r.value.toString()}`);
        from = last.offset + 1;
      }
      await log.close();
      expect(values).toEqual(Array.from({ length: end - start }, (_, i) => `${start + i}=r-${start + i}`));
    }
    expect(deletedHeads).toBeGreaterThan(5);
    if (process.env.RETENTION_REPORT) console.log({ leftoversSeen, deletedHeads });
  }, 120_000);
});
