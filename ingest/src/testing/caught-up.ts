import type { EventBus } from "@switchyard/platform";
import { pollUntil } from "./poll.ts";

/** Waits until `groupId` has committed every partition of `topics` up to the current end offsets. */
export async function waitForCaughtUp(
  bus: EventBus,
  groupId: string,
  topics: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  await pollUntil(
    async () => {
      for (const topic of topics) {
        const [ends, committed] = await Promise.all([bus.endOffsets(topic), bus.committedOffsets(groupId, topic)]);
        for (const [partition, end] of ends) {
          if (BigInt(committed.get(partition) ?? "0") < BigInt(end)) return undefined;
        }
      }
      return true;
    },
    `group ${groupId} to commit ${topics.join(", ")} up to the end`,
    timeoutMs,
  );
}
