import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type { VirtualKeyState } from "./control-entities.ts";
import { type EncryptedSecret, MasterKey, maskSecret, Vault, VaultError } from "./vault.ts";
import { sealVirtualKeySecrets, VirtualKeyCredentials } from "./virtual-key-credentials.ts";

const hexKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const secret = "sk-live-0123456789abcdefABCDEF";

function flipFirstByte(b64: string): string {
  const bytes = Buffer.from(b64, "base64");
  bytes[0] = bytes[0]! ^ 0x01;
  return bytes.toString("base64");
}

describe("vault", () => {
  const vault = new Vault([MasterKey.parse(hexKey)]);

  it("round-trips a value, with a fresh IV each time and the key id stored with it", () => {
    const a = vault.encrypt(secret, "ctx");
    const b = vault.encrypt(secret, "ctx");
    expect(vault.decrypt(a, "ctx")).toBe(secret);
    expect(vault.decrypt(b, "ctx")).toBe(secret);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
    expect(Buffer.from(a.iv, "base64")).toHaveLength(12);
    expect(a.kid).toBe(vault.currentKeyId);
    expect(JSON.stringify(a)).not.toContain(secret);
  });

  it.each<[string, (s: EncryptedSecret) => EncryptedSecret]>([
    ["ciphertext", (s) => ({ ...s, ct: flipFirstByte(s.ct) })],
    ["auth tag", (s) => ({ ...s, tag: flipFirstByte(s.tag) })],
    ["iv", (s) => ({ ...s, iv: flipFirstByte(s.iv) })],
  ])("detects a tampered %s", (_what, tamper) => {
    const sealed = vault.encrypt(secret, "ctx");
    expect(() => vault.decrypt(tamper(sealed), "ctx")).toThrow(VaultError);
  });

  it("refuses a ciphertext moved to another entity (context is authenticated)", () => {
    const sealed = vault.encrypt(secret, "virtual_key/acme/a/api_key");
    expect(() => vault.decrypt(sealed, "virtual_key/acme/b/api_key")).toThrow(/failed authentication/);
  });

  it("names an unknown master key, and decrypts with an older key kept for rotation", () => {
    const old = MasterKey.generate();
    const sealedWithOld = new Vault([old]).encrypt(secret, "ctx");
    expect(() => vault.decrypt(sealedWithOld, "ctx")).toThrow(new RegExp(`master key ${old.id}`));
    const rotated = new Vault([MasterKey.generate(), old]);
    expect(rotated.decrypt(sealedWithOld, "ctx")).toBe(secret);
    expect(rotated.encrypt(secret, "ctx").kid).not.toBe(old.id);
  });

  it("parses hex and base64 master keys and rejects anything else without echoing it", () => {
    const fromHex = MasterKey.parse(hexKey);
    const fromBase64 = MasterKey.parse(Buffer.from(hexKey, "hex").toString("base64"));
    expect(fromHex.id).toBe(fromBase64.id);
    expect(() => MasterKey.parse("c2hvcnQ=")).toThrow(/32 bytes, got 5/);
    const bad = "not a key at all!";
    expect(() => MasterKey.parse(bad)).toThrow(/64 hex chars or base64/);
    try {
      MasterKey.parse(bad);
    } catch (error) {
      expect((error as Error).message).not.toContain(bad);
    }
  });

  it("never shows the master key bytes when logged, serialised or inspected", () => {
    const key = MasterKey.parse(hexKey);
    const shown = `${JSON.stringify({ key })} ${inspect({ key }, { depth: 5, showHidden: true })}`;
    expect(shown).not.toContain(hexKey);
    expect(shown).not.toContain(Buffer.from(hexKey, "hex").toString("base64"));
    expect(shown).toContain(key.id);
  });

  it("masks secrets for display", () => {
    expect(maskSecret("sk-proj-abcdefghijklmnop1234")).toBe("sk-…1234");
    expect(maskSecret("short-secret")).toBe("****");
  });
});

describe("VirtualKeyCredentials", () => {
  const vault = new Vault([MasterKey.generate()]);
  const state: VirtualKeyState = {
    id: "openai-prod",
    tenant_id: "acme",
    provider: "openai",
    secrets: sealVirtualKeySecrets(vault, "acme", "openai-prod", { api_key: secret }),
    fields: {},
    disabled: false,
    version: 1,
    created_at: "2025-01-01T00:00:00.000Z",
    updated_at: "2025-01-01T00:00:00.000Z",
  };

  it("decrypts on demand and never shows values in JSON or inspect output", () => {
    const credentials = new VirtualKeyCredentials(state, vault);
    expect(credentials.fieldNames).toEqual(["api_key"]);
    expect(JSON.stringify({ credentials })).toBe('{"credentials":{"api_key":"[encrypted]"}}');
    expect(credentials.reveal("api_key")).toBe(secret);
    // Even after decryption the cached values stay out of every rendering.
    expect(JSON.stringify(credentials)).not.toContain(secret);
    expect(inspect(credentials, { showHidden: true, depth: 5 })).not.toContain(secret);
    expect(`${credentials}`).not.toContain(secret);
  });

  it("explains that a master key is needed when the process has none", () => {
    expect(() => new VirtualKeyCredentials(state, null).revealAll()).toThrow(/SWITCHYARD_MASTER_KEY/);
  });
});
