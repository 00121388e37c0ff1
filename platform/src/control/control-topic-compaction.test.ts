import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EmbeddedEventBus } from "../bus/embedded/embedded-event-bus.ts";
import { DEFAULT_RETENTION } from "../bus/embedded/retention-policy.ts";
import { quietLogger, tempDir, waitFor } from "../bus/test-support.ts";
import {
  CONTROL_TOPIC,
  type ControlEvent,
  controlRecordKey,
  decodeControlEvent,
  encodeControlEvent,
} from "./control-events.ts";
import { ControlState } from "./control-state.ts";

const at = "2025-01-01T00:00:00.000Z";
let dir: { path: string; remove: () => Promise<void> };
let seq = 0;

/** Admin churn over a handful of entities: tenants re-saved, saved configs saved and deleted. */
function event(i: number): ControlEvent {
  const envelope = { schema_version: 1 as const, event_id: `e${++seq}`, occurred_at: at };
  const version = Math.floor(i / 12) + 1;
  const n = i % 12;
  if (n < 6)
    return { ...envelope, type: "tenant.upserted", tenant: { id: `t${n}`, version, created_at: at, updated_at: at } };
  const id = `pc-${n}`;
  if (version % 3 === 0)
    return { ...envelope, type: "saved_config.deleted", tenant_id: "t0", saved_config_id: id, version };
  return {
    ...envelope,
    type: "saved_config.upserted",
    saved_config: { id, tenant_id: "t0", config: { v: version }, version, created_at: at, updated_at: at },
  };
}

function snapshot(state: ControlState, keys: string[]) {
  return {
    tenants: Object.fromEntries(state.tenants),
    savedConfigs: Object.fromEntries(state.savedConfigs),
    versions: keys.map((k) => [k, state.versionOf(k)]),
  };
}

/** Folds the control topic from the beginning with a fresh group, like a replica starting. */
async function foldFromStart(bus: EmbeddedEventBus): Promise<ControlState> {
  const state = new ControlState();
  const end = Number((await bus.endOffsets(CONTROL_TOPIC)).get(0));
  let position = -1;
  const subscription = await bus.subscribe({
    groupId: `replica-${Math.random()}`,
    topics: [CONTROL_TOPIC],
    fromBeginning: true,
    handleBatch: async (batch) => {
      for (const m of batch.messages) {
        const decoded = decodeControlEvent(m.value);
        if (!decoded.ok) throw new Error(decoded.reason);
        state.apply(decoded.value);
        position = Number(m.offset) + 1;
      }
    },
  });
  await waitFor("the fold to reach the end", () => position >= end);
  await subscription.stop();
  return state;
}

beforeEach(async () => {
  dir = await tempDir("control-compaction");
});

afterEach(async () => {
  await dir.remove();
});

describe("control topic on the embedded log", () => {
  it("is compacted, never aged out: the retained records fold to the state of the whole history", async () => {
    // maxAgeMs 0 would delete every read segment of an ordinary topic at once.
    const retention = { ...DEFAULT_RETENTION, maxAgeMs: 0, maxBytes: 1, compactMinRecords: 50 };
    const options = { dataDir: dir.path, logger: quietLogger, segmentBytes: 2048, retention };
    let bus = await EmbeddedEventBus.open(options);
    await bus.ensureTopics([{ name: CONTROL_TOPIC, partitions: 1, compacted: true }]);
    const live = new ControlState();
    await bus.subscribe({
      groupId: "replica-live",
      topics: [CONTROL_TOPIC],
      fromBeginning: true,
      handleBatch: async (batch) => {
        for (const m of batch.messages) {
          const decoded = decodeControlEvent(m.value);
          if (decoded.ok) live.apply(decoded.value);
        }
      },
    });
    // Entities created once and never changed: their records pin the head until compaction copies them.
    const history: ControlEvent[] = ["acme", "globex", "initech"].map((id) => ({
      schema_version: 1 as const,
      event_id: `static-${id}`,
      occurred_at: at,
      type: "tenant.upserted" as const,
      tenant: { id, version: 1, created_at: at, updated_at: at },
    }));
    await bus.publish(
      CONTROL_TOPIC,
      history.map((e) => ({ key: controlRecordKey(e), value: encodeControlEvent(e) })),
    );
    let compactions = 0;
    let peakFiles = 0;
    for (let round = 0; round < 12; round += 1) {
      const events = Array.from({ length: 60 }, (_, i) => event(round * 60 + i));
      history.push(...events);
      await bus.publish(
        CONTROL_TOPIC,
        events.map((e) => ({ key: controlRecordKey(e), value: encodeControlEvent(e) })),
      );
      const end = (await bus.endOffsets(CONTROL_TOPIC)).get(0);
      await waitFor(
        "the live replica to commit",
        async () => (await bus.committedOffsets("replica-live", CONTROL_TOPIC)).get(0) === end,
      );
      compactions += (await bus.enforceRetention()).compactions;
      const files = (await readdir(join(dir.path, CONTROL_TOPIC, "0"))).filter((n) => n.endsWith(".log"));
      peakFiles = Math.max(peakFiles, files.length);
    }
    const full = new ControlState();
    for (const e of history) full.apply(e);
    const keys = [...new Set(history.map(controlRecordKey))];

    expect(compactions).toBeGreaterThan(2);
    const end = Number((await bus.endOffsets(CONTROL_TOPIC)).get(0));
    // 720 events appended (plus the copies); what is retained is about one copy per key plus a round.
    const retainedFrom = Number(
      (await readdir(join(dir.path, CONTROL_TOPIC, "0")))
        .filter((n) => n.endsWith(".log"))
        .sort()[0]!
        .slice(0, 20),
    );
    if (process.env.RETENTION_REPORT) console.log({ compactions, peakFiles, end, retainedFrom });
    expect(end - retainedFrom).toBeLessThan(150);
    expect(peakFiles).toBeLessThan(15);
    expect(snapshot(live, keys)).toEqual(snapshot(full, keys));
    expect(snapshot(await foldFromStart(bus), keys)).toEqual(snapshot(full, keys));

    // After a restart (log start recovered from its marker) a new replica folds the same state.
    await bus.close();
    bus = await EmbeddedEventBus.open(options);
    expect(snapshot(await foldFromStart(bus), keys)).toEqual(snapshot(full, keys));
    await bus.close();
  });
});
