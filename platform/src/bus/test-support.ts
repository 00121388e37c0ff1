import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { createLogger, type Logger } from "../logger.ts";
import { pollUntil } from "../testing/poll.ts";
import type { EventBus } from "./event-bus.ts";

/** Test-only helpers for the bus suites (not exported from the package). */

export const quietLogger: Logger = createLogger({
  level: process.env.BUS_TEST_LOG_LEVEL ?? "silent",
  name: "bus-test",
});

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. Never a fixed sleep. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  await pollUntil(async () => ((await check()) ? true : undefined), what, timeoutMs);
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `switchyard-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A fresh temp dir for each test of the calling file (created before it, removed after it): read `.path` in a test. */
export function tempDirPerTest(prefix: string): { readonly path: string } {
  let current: { path: string; remove: () => Promise<void> } | null = null;
  beforeEach(async () => {
    current = await tempDir(prefix);
  });
  afterEach(async () => {
    await current?.remove();
    current = null;
  });
  return {
    get path() {
      if (!current) throw new Error("tempDirPerTest: .path read outside a test");
      return current.path;
    },
  };
}

/** A unique name per test so suites sharing one broker never see each other's records. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Reads `topic` from the beginning with a fresh group until `expected` records arrived: "offset:value" in order. */
export async function readOffsetValues(bus: EventBus, topic: string, expected: number): Promise<string[]> {
  const values: string[] = [];
  const subscription = await bus.subscribe({
    groupId: uniqueName("reader"),
    topics: [topic],
    fromBeginning: true,
    handleBatch: async (batch) => {
      for (const m of batch.messages) values.push(`${m.offset}:${m.value!.toString()}`);
    },
  });
  await waitFor(`${expected} records`, () => values.length >= expected);
  await subscription.stop();
  return values;
}
