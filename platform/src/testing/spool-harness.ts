import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventBus, OutgoingRecord } from "../bus/event-bus.ts";
import { SpoolingPublisher } from "../bus/spool/spooling-publisher.ts";
import { pollUntil } from "./poll.ts";

/**
 * Helpers shared by the SpoolingPublisher suites: platform's own (no broker) and test/'s Kafka
 * outage one (a broker it stops and restarts). One copy, so both count delivery the same way.
 */

/** Undo actions registered during a test; `undoAll` (in afterEach) runs them newest first, failed or not. */
export class TestCleanups {
  readonly #undos: (() => Promise<unknown>)[] = [];

  add(undo: () => Promise<unknown>): void {
    this.#undos.push(undo);
  }

  async undoAll(): Promise<void> {
    for (const undo of this.#undos.splice(0).reverse()) await undo().catch(() => undefined);
  }

  /** A fresh temp dir, removed after the test. */
  async scratchDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `switchyard-${prefix}-`));
    this.add(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  /** A started publisher, closed after the test (a test may close it first: undo errors are ignored). */
  async startPublisher(options: Parameters<typeof SpoolingPublisher.start>[0]): Promise<SpoolingPublisher> {
    const publisher = await SpoolingPublisher.start(options);
    this.add(() => publisher.close());
    return publisher;
  }
}

/** Event `id`, keyed over 17 keys so it spreads across partitions; `distinctIds` reads the id back. */
export const numberedEvent = (id: number): OutgoingRecord => ({
  key: `trace-${id % 17}`,
  value: Buffer.from(JSON.stringify({ id })),
});

/** Reads the whole topic with a fresh group until `expected` distinct ids arrived; returns them. */
export async function distinctIds(bus: EventBus, topic: string, expected: number): Promise<Set<number>> {
  const ids = new Set<number>();
  const subscription = await bus.subscribe({
    groupId: `count-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    topics: [topic],
    fromBeginning: true,
    handleBatch: async (batch) => {
      for (const m of batch.messages) ids.add(JSON.parse(m.value!.toString()).id);
    },
  });
  await pollUntil(() => (ids.size >= expected ? true : undefined), `${expected} distinct events`, 30_000);
  await subscription.stop();
  return ids;
}
