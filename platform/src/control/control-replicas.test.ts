import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KeyStore } from "../auth/keys.ts";
import { EmbeddedEventBus } from "../bus/embedded/embedded-event-bus.ts";
import type { EventBus } from "../bus/event-bus.ts";
import { KafkaEventBus } from "../bus/kafka/kafka-event-bus.ts";
import { quietLogger, tempDir, uniqueName, waitFor } from "../bus/test-support.ts";
import { type ControlPlane, startControlPlane } from "./start-control-plane.ts";
import { MasterKey, Vault } from "./vault.ts";

/**
 * Two gateway replicas over one bus: a change made through one is seen by the other within a
 * second, and a replica started later folds the whole history before it reports ready.
 */
const vault = new Vault([MasterKey.generate()]);
const PROPAGATION_BUDGET_MS = 1000;

interface Harness {
  buses: [EventBus, EventBus, EventBus];
  cleanup: () => Promise<void>;
}

async function kafkaHarness(): Promise<Harness> {
  const brokers = inject("kafkaBrokers").split(",");
  const make = (n: number) => new KafkaEventBus({ brokers, clientId: `control-replica-${n}`, logger: quietLogger });
  const buses: Harness["buses"] = [make(1), make(2), make(3)];
  return { buses, cleanup: async () => void (await Promise.all(buses.map((b) => b.close()))) };
}

async function embeddedHarness(): Promise<Harness> {
  const dir = await tempDir("control-replicas");
  // One writer per data dir: replicas in one process share the log, each with its own consumer group.
  const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
  return {
    buses: [bus, bus, bus],
    cleanup: async () => {
      await bus.close();
      await dir.remove();
    },
  };
}

/** Polls until `seen()`, returning how long the change took to arrive. */
async function propagation(what: string, change: () => Promise<unknown>, seen: () => boolean): Promise<number> {
  const started = performance.now();
  await change();
  await waitFor(what, seen, 10_000);
  return performance.now() - started;
}

describe.each([
  ["a real Kafka broker", kafkaHarness],
  ["one embedded log", embeddedHarness],
])("two control-plane replicas on %s", (_name, makeHarness) => {
  let harness: Harness;
  let topicName: string;
  let a: ControlPlane;
  let b: ControlPlane;
  const started: ControlPlane[] = [];

  async function replica(bus: EventBus, id: string): Promise<ControlPlane> {
    const plane = await startControlPlane({
      bus,
      logger: quietLogger,
      keys: new KeyStore([], "default"),
      vault,
      replicaId: id,
      topic: "create",
      topicName,
    });
    started.push(plane);
    return plane;
  }

  beforeAll(async () => {
    harness = await makeHarness();
    topicName = uniqueName("control");
    a = await replica(harness.buses[0], "replica-a");
    b = await replica(harness.buses[1], "replica-b");
  });

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop()));
    await harness.cleanup();
  });

  it("sees a virtual key rotation and a disable made on the other replica within a second", async () => {
    const commands = a.commands!;
    await commands.tenants.create({ id: "acme" });
    await commands.virtualKeys.create("acme", {
      id: "openai-prod",
      provider: "openai",
      secrets: { api_key: "sk-first-0000000000000000" },
      fields: {},
    });
    // First sighting includes the consumer group join, so it is not what the budget is about.
    await waitFor("replica b to see the virtual key", () => b.view.virtualKey("acme", "openai-prod").status === "ok");

    const revealedOnB = () => {
      const found = b.view.virtualKey("acme", "openai-prod");
      return found.status === "ok" ? found.credentials.reveal("api_key") : found.status;
    };
    const rotation = await propagation(
      "the rotation on replica b",
      () => commands.virtualKeys.rotate("acme", "openai-prod", { api_key: "sk-second-111111111111111" }),
      () => revealedOnB() === "sk-second-111111111111111",
    );
    const disable = await propagation(
      "the disable on replica b",
      () => commands.virtualKeys.setDisabled("acme", "openai-prod", true),
      () => b.view.virtualKey("acme", "openai-prod").status === "disabled",
    );
    console.log(`${_name}: rotation ${rotation.toFixed(0)} ms, disable ${disable.toFixed(0)} ms`);
    expect(rotation).toBeLessThan(PROPAGATION_BUDGET_MS);
    expect(disable).toBeLessThan(PROPAGATION_BUDGET_MS);
  });

  it("refuses a revoked API key on the other replica within a second", async () => {
    const commands = a.commands!;
    const created = await commands.tenants.createApiKey("acme", { name: "ci" });
    await waitFor("replica b to accept the key", () => b.view.keys.authenticate(created.key).ok);
    const revoke = await propagation(
      "the revocation on replica b",
      () => commands.tenants.revokeApiKey("acme", created.state.id),
      () => !b.view.keys.authenticate(created.key).ok,
    );
    expect(b.view.keys.authenticate(created.key)).toEqual({ ok: false, reason: "revoked_api_key" });
    expect(revoke).toBeLessThan(PROPAGATION_BUDGET_MS);
  });

  it("lets writes from either replica continue the same version sequence", async () => {
    await b.commands!.savedConfigs.create("acme", { id: "pc-shared", config: { strategy: { mode: "single" } } });
    await waitFor("replica a to see the config", () => a.view.savedConfig("acme", "pc-shared") !== undefined);
    const updated = await a.commands!.savedConfigs.update("acme", "pc-shared", { config: { retry: { attempts: 2 } } });
    expect(updated.version).toBe(2);
    await waitFor(
      "replica b to see version 2",
      () => b.view.savedConfigState("acme", "pc-shared")?.state.version === 2,
    );
  });

  it("starts a late replica only once it has folded the whole history", async () => {
    const late = await replica(harness.buses[2], "replica-late");
    // No polling: ready means the backlog is already in the view.
    expect(late.view.virtualKey("acme", "openai-prod").status).toBe("disabled");
    expect(late.view.tenant("acme")?.state.id).toBe("acme");
    expect(late.view.savedConfig("acme", "pc-shared")).toEqual({ retry: { attempts: 2 } });
    expect(late.view.keys.openMode).toBe(false);
  });
});

describe("a read-only follower of the embedded log (as another process would be)", () => {
  it("picks up a revocation by polling within a second, and cannot write", async () => {
    const dir = await tempDir("control-follower");
    const writerBus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
    // A second instance over the same dir shares no in-process wake-up: it sees appends by polling.
    const readerBus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, access: "read-only" });
    const common = { logger: quietLogger, vault, topicName: uniqueName("control") };
    const writer = await startControlPlane({
      ...common,
      bus: writerBus,
      keys: new KeyStore([], "default"),
      replicaId: "gateway",
      topic: "create",
    });
    const follower = await startControlPlane({
      ...common,
      bus: readerBus,
      keys: new KeyStore([], "default"),
      replicaId: "analytics",
      topic: "if-exists",
    });
    try {
      expect(follower.commands).toBeNull();
      await writer.commands!.tenants.create({ id: "acme" });
      const created = await writer.commands!.tenants.createApiKey("acme", {});
      await waitFor("the follower to accept the key", () => follower.view.keys.authenticate(created.key).ok);
      const elapsed = await propagation(
        "the revocation on the follower",
        () => writer.commands!.tenants.revokeApiKey("acme", created.state.id),
        () => !follower.view.keys.authenticate(created.key).ok,
      );
      expect(elapsed).toBeLessThan(PROPAGATION_BUDGET_MS);
    } finally {
      await follower.stop();
      await writer.stop();
      await readerBus.close();
      await writerBus.close();
      await dir.remove();
    }
  });

  it("serves the file layers only when the control topic does not exist yet", async () => {
    const dir = await tempDir("control-missing");
    const writerBus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
    const readerBus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, access: "read-only" });
    try {
      const follower = await startControlPlane({
        bus: readerBus,
        logger: quietLogger,
        keys: new KeyStore([], "default"),
        vault: null,
        replicaId: "analytics",
        topic: "if-exists",
        topicName: uniqueName("control"),
      });
      expect(follower.view.isReady).toBe(true);
      expect(follower.commands).toBeNull();
      await follower.stop();
    } finally {
      await readerBus.close();
      await writerBus.close();
      await dir.remove();
    }
  });
});
