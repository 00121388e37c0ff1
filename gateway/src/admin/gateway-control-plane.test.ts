import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLogger,
  EmbeddedEventBus,
  KeyStore,
  MasterKey,
  PLAIN_FIELDS,
  parseDeclarativeFile,
  parseEnv,
  SECRET_FIELDS,
  sha256Hex,
  Vault,
} from "@switchyard/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayEnv, gatewayConfigFrom } from "../config.ts";
import { templateProblem } from "../prompts/prompt-call.ts";
import { ProviderId } from "../providers/registry.ts";
import { PROVIDER_FIELD_KEYS } from "../routing/provider-fields.ts";
import { startGatewayControlPlane } from "./gateway-control-plane.ts";
import { validateSavedConfig } from "./saved-config-validation.ts";

const logger = createLogger({ name: "control-wiring-test", level: "silent" });
const MASTER_KEY_HEX = "ab".repeat(32);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "switchyard-gw-control-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("gateway control-plane settings", () => {
  it("parses the master key once, and never echoes a bad one", () => {
    const config = gatewayConfigFrom(parseEnv(GatewayEnv, { SWITCHYARD_MASTER_KEY: MASTER_KEY_HEX }));
    expect(config.control.masterKey?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(config)).not.toContain(MASTER_KEY_HEX);
    const bad = "this-is-not-a-valid-key";
    expect(() => parseEnv(GatewayEnv, { SWITCHYARD_MASTER_KEY: bad })).toThrow(/SWITCHYARD_MASTER_KEY: master key/);
    try {
      parseEnv(GatewayEnv, { SWITCHYARD_MASTER_KEY: bad });
    } catch (error) {
      expect((error as Error).message).not.toContain(bad);
    }
  });

  it("refuses a short admin token", () => {
    expect(() => parseEnv(GatewayEnv, { SWITCHYARD_ADMIN_TOKEN: "short" })).toThrow(
      /SWITCHYARD_ADMIN_TOKEN: must be at least 16/,
    );
  });

  it("covers every provider field a config target may carry, as secret or plain", () => {
    const known = new Set<string>([...SECRET_FIELDS, ...PLAIN_FIELDS]);
    expect(PROVIDER_FIELD_KEYS.filter((f) => !known.has(f))).toEqual([]);
  });
});

describe("switchyard.example.yaml", () => {
  it("is a valid declarative file for this gateway", async () => {
    const text = await readFile(join(import.meta.dirname, "../../../switchyard.example.yaml"), "utf8");
    const result = parseDeclarativeFile(text, {
      env: { OPENAI_API_KEY: "sk-example-0000000000000000", OPENAI_PROXY_KEY: "sk-proxy-00000000000000000" },
      vault: new Vault([MasterKey.generate()]),
      virtualKeys: "load",
      validateConfig: validateSavedConfig,
      validatePromptTemplate: templateProblem,
      knownProviders: ProviderId.options,
    });
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});

describe("startGatewayControlPlane", () => {
  it("layers the keys file and the declarative file over the control topic", async () => {
    const keysFile = join(dir, "keys.json");
    const configFile = join(dir, "switchyard.yaml");
    const seed = { id: "seed", tenant_id: "legacy", key_sha256: sha256Hex("sy-seed") };
    await writeFile(keysFile, JSON.stringify({ keys: [seed] }));
    await writeFile(
      configFile,
      [
        "version: 1",
        "tenants:",
        "  - id: acme",
        "    virtual_keys:",
        "      - { id: openai-prod, provider: openai, api_key: '\u0024{OPENAI_KEY}' }",
        "    saved_configs:",
        "      - { id: pc-mock, config: { provider: mock } }",
      ].join("\n"),
    );
    const config = gatewayConfigFrom(
      parseEnv(GatewayEnv, {
        DATA_DIR: dir,
        SWITCHYARD_MASTER_KEY: MASTER_KEY_HEX,
        SWITCHYARD_KEYS_FILE: keysFile,
        SWITCHYARD_CONFIG_FILE: configFile,
      }),
    );
    const bus = await EmbeddedEventBus.open({ dataDir: join(dir, "log"), logger });
    const keys = new KeyStore([], config.defaultTenant);
    const control = await startGatewayControlPlane({
      bus,
      logger,
      config,
      keys,
      env: { OPENAI_KEY: "sk-env-secret-0123456789" },
    });
    try {
      expect(control.view.isReady).toBe(true);
      expect(control.commands).not.toBeNull();
      expect(keys.authenticate("sy-seed")).toMatchObject({ ok: true, principal: { tenantId: "legacy" } });
      const vk = control.view.virtualKey("acme", "openai-prod");
      expect(vk.status === "ok" && vk.credentials.reveal("api_key")).toBe("sk-env-secret-0123456789");
      expect(control.view.savedConfig("acme", "pc-mock")).toEqual({ provider: "mock" });
    } finally {
      await control.stop();
      await bus.close();
    }
  });

  it("refuses to start on a saved config the gateway's config schema rejects", async () => {
    const configFile = join(dir, "bad.yaml");
    await writeFile(
      configFile,
      "version: 1\ntenants:\n  - id: acme\n    saved_configs:\n      - { id: pc-bad, config: { strategy: { mode: nope } } }\n",
    );
    const config = gatewayConfigFrom(parseEnv(GatewayEnv, { DATA_DIR: dir, SWITCHYARD_CONFIG_FILE: configFile }));
    const bus = await EmbeddedEventBus.open({ dataDir: join(dir, "log-bad"), logger });
    try {
      await expect(
        startGatewayControlPlane({ bus, logger, config, keys: new KeyStore([], "default"), env: {} }),
      ).rejects.toThrow(/tenants\[0\]\.saved_configs\[0\]\.config: strategy\.mode/);
    } finally {
      await bus.close();
    }
  });
});
