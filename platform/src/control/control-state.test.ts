import { describe, expect, it } from "vitest";
import { KeyStore, sha256Hex } from "../auth/keys.ts";
import { quietLogger } from "../bus/test-support.ts";
import { recordUnhandledRejections } from "../testing/unhandled-rejections.ts";
import type { ApiKeyState, VirtualKeyState } from "./control-entities.ts";
import { type ControlEvent, controlRecordKey, decodeControlEvent, encodeControlEvent } from "./control-events.ts";
import { ControlPlaneView } from "./control-plane-view.ts";
import { ControlLayer, ControlState } from "./control-state.ts";
import { MasterKey, Vault } from "./vault.ts";
import { sealVirtualKeySecrets } from "./virtual-key-credentials.ts";

const at = "2025-01-01T00:00:00.000Z";
const vault = new Vault([MasterKey.generate()]);
let seq = 0;
const envelope = () => ({ schema_version: 1 as const, event_id: `e${++seq}`, occurred_at: at });

function apiKey(id: string, raw: string, version: number, revoked = false): ApiKeyState {
  const base = { id, tenant_id: "acme", key_sha256: sha256Hex(raw), role: "tenant" as const, revoked };
  return { ...base, version, created_at: at, updated_at: at };
}

function virtualKey(id: string, secret: string, version: number, disabled = false): VirtualKeyState {
  return {
    id,
    tenant_id: "acme",
    provider: "openai",
    secrets: sealVirtualKeySecrets(vault, "acme", id, { api_key: secret }),
    fields: { custom_host: "https://llm.internal" },
    disabled,
    version,
    created_at: at,
    updated_at: at,
  };
}

/** A history touching every entity kind: creates, updates, a disable, deletes and a re-create. */
function history(): ControlEvent[] {
  return [
    { ...envelope(), type: "tenant.upserted", tenant: { id: "acme", version: 1, created_at: at, updated_at: at } },
    { ...envelope(), type: "tenant.upserted", tenant: { id: "gone", version: 1, created_at: at, updated_at: at } },
    { ...envelope(), type: "api_key.created", api_key: apiKey("k1", "sy-one", 1) },
    { ...envelope(), type: "api_key.created", api_key: apiKey("k2", "sy-two", 1) },
    { ...envelope(), type: "virtual_key.upserted", virtual_key: virtualKey("vk", "sk-first-secret-000000", 1) },
    { ...envelope(), type: "virtual_key.upserted", virtual_key: virtualKey("vk", "sk-rotated-secret-1111", 2) },
    { ...envelope(), type: "virtual_key.disabled", virtual_key: virtualKey("vk2", "sk-other-secret-222222", 1, true) },
    {
      ...envelope(),
      type: "saved_config.upserted",
      saved_config: { id: "pc-a", tenant_id: "acme", config: { v: 1 }, version: 1, created_at: at, updated_at: at },
    },
    {
      ...envelope(),
      type: "saved_config.upserted",
      saved_config: { id: "pc-a", tenant_id: "acme", config: { v: 2 }, version: 2, created_at: at, updated_at: at },
    },
    {
      ...envelope(),
      type: "saved_config.upserted",
      saved_config: { id: "pc-b", tenant_id: "acme", config: { b: true }, version: 1, created_at: at, updated_at: at },
    },
    { ...envelope(), type: "saved_config.deleted", tenant_id: "acme", saved_config_id: "pc-b", version: 2 },
    { ...envelope(), type: "api_key.revoked", api_key: apiKey("k2", "sy-two", 2, true) },
    { ...envelope(), type: "tenant.deleted", tenant_id: "gone", version: 2 },
    { ...envelope(), type: "virtual_key.deleted", tenant_id: "acme", virtual_key_id: "vk3", version: 1 },
  ];
}

function snapshot(state: ControlState, keys: string[]) {
  return {
    tenants: Object.fromEntries(state.tenants),
    apiKeys: Object.fromEntries(state.apiKeys),
    virtualKeys: Object.fromEntries(state.virtualKeys),
    savedConfigs: Object.fromEntries(state.savedConfigs),
    versions: keys.map((k) => [k, state.versionOf(k)]),
  };
}

/** What Kafka compaction leaves: the last record per key, in offset order. */
function compact(events: ControlEvent[]): ControlEvent[] {
  const lastIndex = new Map(events.map((e, i) => [controlRecordKey(e), i]));
  return events.filter((e, i) => lastIndex.get(controlRecordKey(e)) === i);
}

describe("folding control events", () => {
  it("upserts, disables and deletes; keeps each entity's latest version, deletions included", () => {
    const state = new ControlState();
    for (const event of history()) state.apply(event);
    expect([...state.tenants.keys()]).toEqual(["acme"]);
    expect(state.versionOf("tenant:gone")).toBe(2);
    expect(state.apiKeys.get("k2")?.revoked).toBe(true);
    expect(state.virtualKeys.get("acme:vk")?.version).toBe(2);
    expect(state.virtualKeys.get("acme:vk2")?.disabled).toBe(true);
    expect(state.savedConfigs.get("acme:pc-a")?.config).toEqual({ v: 2 });
    expect(state.savedConfigs.has("acme:pc-b")).toBe(false);
    expect(state.versionOf("saved_config:acme:pc-b")).toBe(2);
    expect(state.versionOf("virtual_key:acme:never")).toBe(0);
  });

  it("gives the same state from the full log and from its compacted form", () => {
    const events = history();
    const compacted = compact(events);
    expect(compacted.length).toBeLessThan(events.length);
    const full = new ControlState();
    const fromCompacted = new ControlState();
    for (const event of events) full.apply(event);
    for (const event of compacted) fromCompacted.apply(event);
    const keys = [...new Set(events.map(controlRecordKey))];
    expect(snapshot(fromCompacted, keys)).toEqual(snapshot(full, keys));
  });

  it("round-trips events through the wire encoding and rejects invalid ones", () => {
    for (const event of history()) {
      const decoded = decodeControlEvent(encodeControlEvent(event));
      expect(decoded).toEqual({ ok: true, value: event });
    }
    expect(decodeControlEvent(Buffer.from('{"type":"tenant.upserted"}')).ok).toBe(false);
    expect(decodeControlEvent(null).ok).toBe(false);
  });
});

describe("ControlPlaneView", () => {
  function view(seedKeys = [] as ApiKeyState[]) {
    const keys = new KeyStore([], "default");
    const v = new ControlPlaneView({ keys, vault, logger: quietLogger, seedKeys });
    return { v, keys };
  }

  it("resolves virtual keys (ok / disabled / unknown) and saved configs for the owning tenant only", () => {
    const { v } = view();
    v.fold(history());
    const ok = v.virtualKey("acme", "vk");
    expect(ok.status).toBe("ok");
    if (ok.status !== "ok") return;
    expect(ok.provider).toBe("openai");
    expect(ok.fields).toEqual({ custom_host: "https://llm.internal" });
    expect(ok.credentials.reveal("api_key")).toBe("sk-rotated-secret-1111");
    expect(JSON.stringify(ok)).not.toContain("sk-rotated-secret-1111");
    expect(v.virtualKey("acme", "vk2")).toEqual({ status: "disabled", id: "vk2", tenantId: "acme" });
    expect(v.virtualKey("other", "vk")).toEqual({ status: "unknown" });
    expect(v.savedConfig("acme", "pc-a")).toEqual({ v: 2 });
    expect(v.savedConfig("acme", "pc-b")).toBeUndefined();
    expect(v.savedConfig("other", "pc-a")).toBeUndefined();
  });

  it("feeds the KeyStore: created keys authenticate, revoked ones are refused", () => {
    const { v, keys } = view();
    expect(keys.openMode).toBe(true);
    v.fold(history());
    expect(keys.authenticate("sy-one")).toMatchObject({ ok: true, principal: { tenantId: "acme", apiKeyId: "k1" } });
    expect(keys.authenticate("sy-two")).toEqual({ ok: false, reason: "revoked_api_key" });
  });

  it("lets the declarative file override the topic for the ids it declares, and the keys file sit between", () => {
    const { v, keys } = view([apiKey("seed", "sy-seed", 0)]);
    v.fold(history());
    const file = new ControlLayer();
    file.apiKeys.set("k1", apiKey("k1", "sy-one", 0, true));
    file.savedConfigs.set("acme:pc-a", {
      id: "pc-a",
      tenant_id: "acme",
      config: { from: "file" },
      version: 0,
      created_at: at,
      updated_at: at,
    });
    v.replaceFileLayer(file);
    expect(keys.authenticate("sy-one")).toEqual({ ok: false, reason: "revoked_api_key" });
    expect(keys.authenticate("sy-seed").ok).toBe(true);
    expect(v.savedConfig("acme", "pc-a")).toEqual({ from: "file" });
    expect(v.savedConfigState("acme", "pc-a")?.source).toBe("config_file");
    expect(v.apiKey("seed")?.source).toBe("keys_file");
    // Dropping the entry from the file lets the topic's state show through again.
    v.replaceFileLayer(new ControlLayer());
    expect(v.savedConfig("acme", "pc-a")).toEqual({ v: 2 });
    expect(keys.authenticate("sy-one").ok).toBe(true);
  });

  it("wakes a writer once its events are folded, and times out otherwise", async () => {
    const { v } = view();
    const [first] = history();
    const { folded } = v.expectFolded([first!.event_id], 1000);
    v.fold([first!]);
    await expect(folded).resolves.toBeUndefined();
    await expect(v.expectFolded(["never"], 20).folded).rejects.toThrow(/not folded within 20 ms/);
  });

  it("a fold timeout while the writer still publishes is the writer's error, not an unhandled rejection", async () => {
    const unhandled = recordUnhandledRejections();
    try {
      const { v } = view();
      const { folded } = v.expectFolded(["never"], 5);
      // The writer's publish outlasts the fold timeout (timers fire in due order: the 5 ms one first); nothing
      // awaits `folded` until the publish is over.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled.reasons).toEqual([]);
      await expect(folded).rejects.toThrow(/not folded within 5 ms/);
    } finally {
      unhandled.stop();
    }
  });
});
