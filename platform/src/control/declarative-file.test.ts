import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { KeyStore, sha256Hex } from "../auth/keys.ts";
import { quietLogger, tempDir, waitFor } from "../bus/test-support.ts";
import { ControlPlaneView } from "./control-plane-view.ts";
import { type DeclarativeFileOptions, parseDeclarativeFile } from "./declarative-file.ts";
import { DeclarativeFileWatcher } from "./declarative-file-watcher.ts";
import { MasterKey, Vault } from "./vault.ts";

const vault = new Vault([MasterKey.generate()]);
const env = { OPENAI_KEY: "sk-from-env-0123456789abcdef", AZURE_KEY: "az-secret-value-9876543210" };
const options: DeclarativeFileOptions = { env, vault, virtualKeys: "load" };
const ciHash = sha256Hex("sy-ci-key");

const validFile = `
version: 1
tenants:
  - id: acme
    name: Acme Corp
    api_keys:
      - id: acme-ci
        key_sha256: ${ciHash}
    virtual_keys:
      - id: openai-prod
        provider: openai
        api_key: \${OPENAI_KEY}
      - id: azure-eu
        provider: azure-openai
        api_key: \${AZURE_KEY}
        resource_name: acme-eu
        deployment_id: gpt-4o
        api_version: "2024-06-01"
    saved_configs:
      - id: pc-fallback
        config:
          strategy: { mode: fallback }
          targets: [{ virtual_key: openai-prod }, { virtual_key: azure-eu }]
`;

describe("the declarative file", () => {
  it("loads tenants, hashed API keys, virtual keys (secrets from env, encrypted) and saved configs", () => {
    const result = parseDeclarativeFile(validFile, options);
    if (!result.ok) throw new Error(result.errors.join("\n"));
    expect(result.warnings).toEqual([]);
    const { layer } = result;
    expect(layer.tenants.get("acme")?.name).toBe("Acme Corp");
    expect(layer.apiKeys.get("acme-ci")).toMatchObject({ tenant_id: "acme", key_sha256: ciHash, role: "tenant" });
    const azure = layer.virtualKeys.get("acme:azure-eu")!;
    expect(azure.fields).toEqual({ resource_name: "acme-eu", deployment_id: "gpt-4o", api_version: "2024-06-01" });
    // Encrypted in memory: the layer's state never holds the clear secret.
    expect(JSON.stringify([...layer.virtualKeys.values()])).not.toContain(env.OPENAI_KEY);
    expect(layer.savedConfigs.get("acme:pc-fallback")?.config).toMatchObject({ strategy: { mode: "fallback" } });

    const view = new ControlPlaneView({ keys: new KeyStore([], "default"), vault, logger: quietLogger });
    view.replaceFileLayer(layer);
    const vk = view.virtualKey("acme", "openai-prod");
    expect(vk.status === "ok" && vk.credentials.reveal("api_key")).toBe(env.OPENAI_KEY);
    expect(view.keys.authenticate("sy-ci-key")).toMatchObject({ ok: true, principal: { apiKeyId: "acme-ci" } });
  });

  it.each<[string, string, RegExp, Partial<DeclarativeFileOptions>?]>([
    [
      "a missing env var",
      "OPENAI_KEY",
      /tenants\[0\]\.virtual_keys\[0\]\.api_key: environment variable OPENAI_KEY is not set/,
      { env: {} },
    ],
    ["a raw API key", `key_sha256: ${ciHash}`, /tenants\[0\]\.api_keys\[0\]\.key: raw keys never go in the file/],
    ["a misspelt field", "resource_name:", /tenants\[0\]\.virtual_keys\[1\]: Unrecognized key: "resource_nam"/],
    ["no master key", "", /tenants\[0\]\.virtual_keys: virtual keys need SWITCHYARD_MASTER_KEY/, { vault: null }],
    [
      "an unknown provider",
      "",
      /virtual_keys\[1\]\.provider: unknown provider azure-openai/,
      { knownProviders: ["openai"] },
    ],
    [
      "an invalid saved config",
      "",
      /saved_configs\[0\]\.config: strategy\.mode: bad/,
      { validateConfig: () => ["strategy.mode: bad"] },
    ],
    ["broken YAML", "", /YAML at line \d+, column \d+/],
  ])("refuses %s, naming the failing field", (what, needle, expected, overrides = {}) => {
    let text = validFile;
    if (what === "a raw API key") text = text.replace(needle, `${needle}\n        key: sy-ci-key`);
    if (what === "a misspelt field") text = text.replace(needle, "resource_nam:");
    if (what === "broken YAML") text = `${text}\n  - id: [unclosed`;
    const result = parseDeclarativeFile(text, { ...options, ...overrides });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join("\n")).toMatch(expected);
  });

  it("never puts a literal secret from a broken file into its error messages", () => {
    const text = validFile.replace("\u0024{OPENAI_KEY}", "sk-literal-secret-abcdef: [oops");
    const result = parseDeclarativeFile(text, options);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join("\n")).not.toContain("sk-literal-secret");
  });

  it("skips virtual keys entirely where they are not needed (analytics)", () => {
    const result = parseDeclarativeFile(validFile, { env: {}, vault: null, virtualKeys: "skip" });
    expect(result.ok && result.layer.virtualKeys.size).toBe(0);
  });

  it("reports an alias to no anchor, and an alias bomb, as errors of the file", () => {
    const dangling = parseDeclarativeFile("tenants: *typo\n", options);
    expect(!dangling.ok && dangling.errors.join("\n")).toMatch(/YAML: .*alias/i);
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(", ")}]`,
      ),
      "tenants: []",
    ].join("\n");
    const exploded = parseDeclarativeFile(bomb, options);
    expect(!exploded.ok && exploded.errors.join("\n")).toMatch(/YAML: /);
  });

  it("refuses duplicate ids", () => {
    const text = validFile.replace("id: azure-eu", "id: openai-prod");
    const result = parseDeclarativeFile(text, options);
    expect(!result.ok && result.errors.join("\n")).toMatch(
      /virtual_keys\[1\]\.id: duplicate virtual key id openai-prod/,
    );
  });
});

describe("hot reload", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const dir = await tempDir("control-file");
    cleanups.push(dir.remove);
    const path = join(dir.path, "switchyard.yaml");
    await writeFile(path, validFile);
    const logLines: string[] = [];
    // pino writes each line through the destination's write(): capture instead of printing.
    const testLogger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
    const view = new ControlPlaneView({ keys: new KeyStore([], "default"), vault, logger: quietLogger });
    const watcher = await DeclarativeFileWatcher.start({ ...options, path, view, logger: testLogger, debounceMs: 20 });
    cleanups.push(() => watcher.close());
    return { path, dir: dir.path, view, watcher, logLines };
  }

  it("applies an edit, keeps the previous state when the file turns invalid, and recovers", async () => {
    const { path, view, watcher, logLines } = await setup();
    expect(view.savedConfig("acme", "pc-fallback")).toBeDefined();

    await writeFile(path, validFile.replace("pc-fallback", "pc-renamed"));
    await waitFor("the edit to be applied", () => view.savedConfig("acme", "pc-renamed") !== undefined);
    expect(view.savedConfig("acme", "pc-fallback")).toBeUndefined();
    expect(watcher.status().generation).toBe(2);

    await writeFile(path, validFile.replace("provider: openai", "provider: 42"));
    await waitFor("the invalid file to be reported", () => watcher.status().lastError !== null);
    expect(watcher.status().lastError?.join("\n")).toMatch(/tenants\[0\]\.virtual_keys\[0\]\.provider/);
    expect(view.savedConfig("acme", "pc-renamed")).toBeDefined();
    expect(view.virtualKey("acme", "openai-prod").status).toBe("ok");
    expect(logLines.join("")).toMatch(/keeping the previously loaded state/);
    expect(logLines.join("")).toMatch(/tenants\[0\]\.virtual_keys\[0\]\.provider/);

    await writeFile(path, validFile.replace("name: Acme Corp", "name: Acme Inc"));
    await waitFor("the fixed file to be applied", () => view.tenant("acme")?.state.name === "Acme Inc");
    expect(watcher.status().lastError).toBeNull();
  });

  it("keeps the previous state when an edit holds an alias to no anchor, and applies the next edit", async () => {
    const { path, view, watcher } = await setup();
    await writeFile(path, "tenants: *typo\n");
    await waitFor("the unresolvable file to be reported", () => watcher.status().lastError !== null);
    expect(watcher.status().lastError?.join("\n")).toMatch(/YAML: /);
    expect(view.savedConfig("acme", "pc-fallback")).toBeDefined();
    await writeFile(path, validFile.replace("name: Acme Corp", "name: Acme Inc"));
    await waitFor("the fixed file to be applied", () => view.tenant("acme")?.state.name === "Acme Inc");
  });

  it("follows a file replaced by rename, as editors and ConfigMaps do", async () => {
    const { path, dir, view } = await setup();
    const next = join(dir, ".switchyard.yaml.tmp");
    await writeFile(next, validFile.replace("acme-ci", "acme-deploy"));
    await rename(next, path);
    await waitFor("the replaced file to be applied", () => view.apiKey("acme-deploy") !== undefined);
    expect(view.apiKey("acme-ci")).toBeUndefined();
  });

  it("refuses to start on an invalid file", async () => {
    const dir = await tempDir("control-file-bad");
    cleanups.push(dir.remove);
    const path = join(dir.path, "switchyard.yaml");
    await writeFile(path, "version: 2\n");
    const view = new ControlPlaneView({ keys: new KeyStore([], "default"), vault, logger: quietLogger });
    await expect(DeclarativeFileWatcher.start({ ...options, path, view, logger: quietLogger })).rejects.toThrow(
      /invalid control-plane file .*switchyard\.yaml:\n {2}version: must be 1/,
    );
  });
});
