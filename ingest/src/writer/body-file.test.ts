import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Topics } from "@switchyard/events";
import { describe, expect, it } from "vitest";
import { requestRow } from "../rows/request-row-binary.ts";
import { makeRequestEvent } from "../testing/index.ts";
import { migratedStore } from "../testing/migrated-store.ts";
import { bodyFileDir, openBodyFileDir } from "./body-file.ts";
import { insertExactlyOnce } from "./exactly-once-insert.ts";

/** A pid no process has: far above any default pid_max. */
function deadPid(): number {
  for (let pid = 4_000_000; ; pid++) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH") return pid;
    }
  }
}

describe("insert bodies through a file", () => {
  const store = migratedStore();

  it("is what the embedded engine uses, and leaves no body behind", async () => {
    const dir = await bodyFileDir(store.client);
    if (store.db.clickhouse.kind === "embedded") expect(dir).not.toBeNull();
    const rows = Array.from({ length: 300 }, (_, i) => {
      const event = makeRequestEvent({ occurred_at: `2025-0${1 + (i % 3)}-10T08:00:00.000Z` });
      const decoded = requestRow(event, { topic: Topics.requests, partition: 0, offset: String(i) });
      if (!decoded.ok) throw new Error(decoded.reason);
      return decoded.row;
    });
    expect(await insertExactlyOnce(store.client, "requests", rows)).toEqual({ inserted: 300, duplicates: 0 });
    const counted = await store.client.query({ query: "SELECT count() AS n FROM requests", format: "JSONEachRow" });
    const [row] = await counted.json<{ n: number | string }>();
    expect(Number(row?.n)).toBe(300);
    if (dir !== null) expect(await readdir(dir)).toEqual([]);
  });

  it("removes bodies a process that is gone left behind, and keeps those of live ones", async () => {
    const dir = await bodyFileDir(store.client);
    if (dir === null) return expect(store.db.clickhouse.kind).not.toBe("embedded");
    const root = dirname(dir);
    const gone = join(root, String(deadPid()));
    const live = join(root, String(process.ppid));
    for (const stale of [gone, live]) {
      await mkdir(stale, { recursive: true });
      await writeFile(join(stale, "requests-1.jsonl"), "[]\n");
    }
    expect(await openBodyFileDir(store.client)).toBe(dir);
    const left = await readdir(root);
    expect(left).not.toContain(String(deadPid()));
    expect(left).toContain(String(process.ppid));
    expect(left).toContain(String(process.pid));
  });
});
