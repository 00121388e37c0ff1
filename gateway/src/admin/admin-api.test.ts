import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CONTROL_TOPIC,
  type ControlPlane,
  createLogger,
  EmbeddedEventBus,
  KeyStore,
  MasterKey,
  sha256Hex,
  startControlPlane,
  Vault,
} from "@switchyard/platform";
import type { FastifyInstance, InjectOptions } from "fastify";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGatewayApp } from "../app.ts";
import { createProviderRegistry, ProviderId } from "../providers/registry.ts";
import { CollectingSink } from "../test-support.ts";
import { validateSavedConfig } from "./saved-config-validation.ts";

const ADMIN_TOKEN = "test-admin-token-0123456789";
const SECRET = "sk-proj-FIRSTsecretValue0123456789abcd";
const ROTATED = "sk-proj-ROTATEDsecretValue9876543210wxyz";
const logger = createLogger({ name: "admin-test", level: "silent" });

interface TestGateway {
  app: FastifyInstance;
  sink: CollectingSink;
  control: ControlPlane;
  close: () => Promise<void>;
}

let dataDir: string;
let bus: EmbeddedEventBus;
const gateways: TestGateway[] = [];

/** A gateway app over a real control plane on the embedded log (the same wiring as startGateway). */
async function gateway(options: { token?: string; vault?: Vault | null; file?: string } = {}): Promise<TestGateway> {
  const vault = options.vault === undefined ? new Vault([MasterKey.generate()]) : options.vault;
  const keys = new KeyStore([], "default");
  const control = await startControlPlane({
    bus,
    logger,
    keys,
    vault,
    replicaId: `admin-test-${gateways.length}`,
    topic: "create",
    file: options.file
      ? { path: options.file, env: {}, vault, virtualKeys: "load", validateConfig: validateSavedConfig }
      : undefined,
  });
  const sink = new CollectingSink();
  const dispatcher = new Agent({ connections: 4 });
  const app = buildGatewayApp({
    logger,
    bodyLimitBytes: 1024 * 1024,
    keys,
    providers: createProviderRegistry({ dispatcher, mockLatencyMs: 0 }),
    sink,
    eventEnv: { gatewayInstance: "admin-test", priceOverrides: [] },
    health: { events: () => ({}) },
    control: control.view,
    admin: { token: options.token, control, knownProviders: ProviderId.options, validateSavedConfig },
  });
  const gw = {
    app,
    sink,
    control,
    close: async () => {
      await app.close();
      await control.stop();
      await dispatcher.close();
    },
  };
  gateways.push(gw);
  return gw;
}

const admin = (method: InjectOptions["method"], url: string, payload?: unknown): InjectOptions => ({
  method,
  url: `/v1/admin${url}`,
  headers: {
    authorization: `Bearer ${ADMIN_TOKEN}`,
    ...(payload === undefined ? {} : { "content-type": "application/json" }),
  },
  ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
});

const chat = (key?: string): InjectOptions => ({
  method: "POST",
  url: "/v1/chat/completions",
  headers: {
    "content-type": "application/json",
    "x-portkey-provider": "mock",
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  },
  payload: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
});

async function allBytesUnder(dir: string): Promise<Buffer> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "switchyard-admin-"));
  bus = await EmbeddedEventBus.open({ dataDir: join(dataDir, "log"), logger });
});

afterAll(async () => {
  for (const gw of gateways) await gw.close();
  await bus.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("admin API access", () => {
  it("is off without SWITCHYARD_ADMIN_TOKEN, and says how to turn it on", async () => {
    const gw = await gateway({ token: undefined });
    const res = await gw.app.inject(admin("GET", "/tenants"));
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: "admin_disabled", type: "permission_error" });
    expect(res.json().error.message).toMatch(/SWITCHYARD_ADMIN_TOKEN/);
  });

  it("refuses a missing or wrong admin token with 401", async () => {
    const gw = await gateway({ token: ADMIN_TOKEN });
    for (const authorization of [undefined, "Bearer wrong-token", `Bearer ${ADMIN_TOKEN}x`]) {
      const headers = authorization === undefined ? {} : { authorization };
      const res = await gw.app.inject({ method: "GET", url: "/v1/admin/tenants", headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe("invalid_admin_token");
    }
  });
});

describe("admin API end to end", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await gateway({ token: ADMIN_TOKEN });
  });

  it("creates a tenant and a key; the key works at once; revoked, it gets 401", async () => {
    const tenant = await gw.app.inject(admin("POST", "/tenants", { id: "acme", name: "Acme" }));
    expect(tenant.statusCode).toBe(201);
    expect(tenant.json()).toMatchObject({ object: "tenant", id: "acme", name: "Acme", version: 1 });
    expect((await gw.app.inject(admin("POST", "/tenants", { id: "acme" }))).json().error.code).toBe("conflict");

    const created = await gw.app.inject(admin("POST", "/tenants/acme/api-keys", { name: "ci" }));
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json();
    expect(key).toMatch(/^sy-[A-Za-z0-9_-]{43}$/);

    const ok = await gw.app.inject(chat(key));
    expect(ok.statusCode).toBe(200);
    const [event] = await gw.sink.waitFor(1);
    expect(event).toMatchObject({ tenant_id: "acme", api_key_id: id });
    // With a key configured, anonymous calls are no longer admitted.
    expect((await gw.app.inject(chat())).statusCode).toBe(401);

    const listed = await gw.app.inject(admin("GET", "/tenants/acme/api-keys"));
    expect(listed.body).not.toContain(key);
    expect(listed.body).not.toContain(sha256Hex(key));

    const revoked = await gw.app.inject(admin("POST", `/tenants/acme/api-keys/${id}/revoke`));
    expect(revoked.json()).toMatchObject({ revoked: true, version: 2 });
    const refused = await gw.app.inject(chat(key));
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe("revoked_api_key");
  });

  it("keeps virtual-key secrets out of responses (masked hint) and out of the control topic's bytes", async () => {
    const created = await gw.app.inject(
      admin("POST", "/tenants/acme/virtual-keys", { id: "openai-prod", provider: "openai", api_key: SECRET }),
    );
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: "openai-prod", provider: "openai", secrets: { api_key: "sk-…abcd" } });
    expect(created.body).not.toContain(SECRET);

    const rotated = await gw.app.inject(
      admin("POST", "/tenants/acme/virtual-keys/openai-prod/rotate", { api_key: ROTATED }),
    );
    expect(rotated.json()).toMatchObject({ secrets: { api_key: "sk-…wxyz" }, version: 2 });
    const resolved = gw.control.view.virtualKey("acme", "openai-prod");
    expect(resolved.status === "ok" && resolved.credentials.reveal("api_key")).toBe(ROTATED);

    const listed = await gw.app.inject(admin("GET", "/tenants/acme/virtual-keys"));
    expect(listed.json().data).toHaveLength(1);
    for (const body of [rotated.body, listed.body]) expect(body).not.toMatch(/FIRSTsecret|ROTATEDsecret/);

    // The control topic's raw segment files (the embedded log does not compress) hold neither secret.
    const raw = await allBytesUnder(join(dataDir, "log", CONTROL_TOPIC));
    expect(raw.includes("virtual_key.upserted")).toBe(true);
    for (const secret of [SECRET, ROTATED]) {
      expect(raw.includes(secret)).toBe(false);
      expect(raw.includes(Buffer.from(secret).toString("base64"))).toBe(false);
      expect(raw.includes(Buffer.from(secret).toString("hex"))).toBe(false);
    }
  });

  it("disables, re-enables and deletes a virtual key", async () => {
    const disabled = await gw.app.inject(admin("POST", "/tenants/acme/virtual-keys/openai-prod/disable"));
    expect(disabled.json().disabled).toBe(true);
    expect(gw.control.view.virtualKey("acme", "openai-prod").status).toBe("disabled");
    await gw.app.inject(admin("POST", "/tenants/acme/virtual-keys/openai-prod/enable"));
    expect(gw.control.view.virtualKey("acme", "openai-prod").status).toBe("ok");
    const patched = await gw.app.inject(
      admin("PATCH", "/tenants/acme/virtual-keys/openai-prod", {
        name: "prod",
        custom_host: "https://llm.example.com",
      }),
    );
    expect(patched.json()).toMatchObject({ name: "prod", fields: { custom_host: "https://llm.example.com" } });
    expect((await gw.app.inject(admin("DELETE", "/tenants/acme/virtual-keys/openai-prod"))).json().deleted).toBe(true);
    expect(gw.control.view.virtualKey("acme", "openai-prod")).toEqual({ status: "unknown" });
    const gone = await gw.app.inject(admin("GET", "/tenants/acme/virtual-keys/openai-prod"));
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe("virtual_key_not_found");
  });

  it("validates saved configs with the config schema and versions updates", async () => {
    const invalid = await gw.app.inject(
      admin("POST", "/tenants/acme/configs", { config: { strategy: { mode: "roundrobin" }, targets: [] } }),
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.message).toMatch(/strategy\.mode/);
    const created = await gw.app.inject(
      admin("POST", "/tenants/acme/configs", {
        id: "pc-fallback",
        config: { strategy: { mode: "fallback" }, targets: [{ provider: "mock" }, { provider: "openai" }] },
      }),
    );
    expect(created.statusCode).toBe(201);
    const updated = await gw.app.inject(
      admin("PATCH", "/tenants/acme/configs/pc-fallback", { config: { provider: "mock" } }),
    );
    expect(updated.json()).toMatchObject({ id: "pc-fallback", version: 2, config: { provider: "mock" } });
    expect(gw.control.view.savedConfig("acme", "pc-fallback")).toEqual({ provider: "mock" });
  });

  it("lists every failing body field, and 404s unknown tenants", async () => {
    const bad = await gw.app.inject(
      admin("POST", "/tenants/acme/virtual-keys", { provider: "Not A Provider", apikey: "x" }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/provider: .*apikey|apikey.*provider/s);
    const unknownProvider = await gw.app.inject(admin("POST", "/tenants/acme/virtual-keys", { provider: "nope" }));
    expect(unknownProvider.json().error.code).toBe("unknown_provider");
    const noTenant = await gw.app.inject(admin("POST", "/tenants/ghost/api-keys", {}));
    expect(noTenant.statusCode).toBe(404);
    expect(noTenant.json().error.code).toBe("tenant_not_found");
  });

  it("deletes a tenant with everything it owns", async () => {
    await gw.app.inject(admin("POST", "/tenants", { id: "short-lived" }));
    const { key } = (await gw.app.inject(admin("POST", "/tenants/short-lived/api-keys", {}))).json();
    await gw.app.inject(
      admin("POST", "/tenants/short-lived/virtual-keys", { id: "vk", provider: "openai", api_key: SECRET }),
    );
    expect((await gw.app.inject(chat(key))).statusCode).toBe(200);
    expect((await gw.app.inject(admin("DELETE", "/tenants/short-lived"))).json().deleted).toBe(true);
    expect((await gw.app.inject(chat(key))).json().error.code).toBe("revoked_api_key");
    expect(gw.control.view.virtualKey("short-lived", "vk")).toEqual({ status: "unknown" });
    // Re-created with the same id, it starts empty and continues the version sequence.
    const again = await gw.app.inject(admin("POST", "/tenants", { id: "short-lived" }));
    expect(again.json().version).toBe(3);
    expect((await gw.app.inject(admin("GET", "/tenants/short-lived/virtual-keys"))).json().data).toEqual([]);
  });
});

describe("admin API next to other sources", () => {
  it("refuses virtual keys without a master key", async () => {
    const gw = await gateway({ token: ADMIN_TOKEN, vault: null });
    await gw.app.inject(admin("POST", "/tenants", { id: "no-vault" }));
    const res = await gw.app.inject(
      admin("POST", "/tenants/no-vault/virtual-keys", { provider: "openai", api_key: SECRET }),
    );
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: "vault_unavailable" });
    expect(res.json().error.message).toMatch(/SWITCHYARD_MASTER_KEY/);
  });

  it("leaves entities declared in the config file to the file", async () => {
    const file = join(dataDir, "switchyard.yaml");
    await writeFile(
      file,
      "version: 1\ntenants:\n  - id: gitops\n    saved_configs:\n      - id: pc-git\n        config: { provider: mock }\n",
    );
    const gw = await gateway({ token: ADMIN_TOKEN, file });
    const tenant = await gw.app.inject(admin("GET", "/tenants/gitops"));
    expect(tenant.json()).toMatchObject({ source: "config_file" });
    const patch = await gw.app.inject(admin("PATCH", "/tenants/gitops", { name: "renamed" }));
    expect(patch.statusCode).toBe(409);
    expect(patch.json().error.code).toBe("managed_by_file");
    const update = await gw.app.inject(
      admin("PATCH", "/tenants/gitops/configs/pc-git", { config: { provider: "openai" } }),
    );
    expect(update.json().error.code).toBe("managed_by_file");
    // The admin API may still add to a file-declared tenant.
    const extra = await gw.app.inject(
      admin("POST", "/tenants/gitops/configs", { id: "pc-extra", config: { provider: "mock" } }),
    );
    expect(extra.statusCode).toBe(201);
  });
});
