import { DeclarativeFile } from "@switchyard/platform";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../routing/config-schema.ts";
import { VirtualKeyCreate, VirtualKeyUpdate } from "./admin-schemas.ts";

/**
 * Issue 10: the admin API, the declarative file and inline configs accept the same custom_host
 * (one schema, CustomHostUrl in platform/src/control): the admin API used to store "not a url".
 */
const BAD_HOSTS = ["not a url", "ftp://files.example.com", "https://user:pass@api.example.com", "/v1", ""];
const GOOD_HOSTS = ["https://api.example.com/v1", "http://localhost:11434/v1"];

function inlineAccepts(host: string): boolean {
  return validateConfig({ provider: "openai", custom_host: host }).ok;
}

describe("custom_host: one rule for every way it is given", () => {
  it.each(BAD_HOSTS)("%j is refused by the admin API, the declarative file and inline configs", (host) => {
    const created = VirtualKeyCreate.safeParse({ provider: "openai", custom_host: host });
    expect(created.success).toBe(false);
    expect(created.error?.issues[0]?.path).toEqual(["custom_host"]);
    expect(VirtualKeyUpdate.safeParse({ custom_host: host }).success).toBe(false);
    const file = DeclarativeFile.safeParse({
      version: 1,
      tenants: [{ id: "acme", virtual_keys: [{ id: "vk", provider: "openai", custom_host: host }] }],
    });
    expect(file.success).toBe(false);
    expect(file.error?.issues[0]?.path).toEqual(["tenants", 0, "virtual_keys", 0, "custom_host"]);
    expect(inlineAccepts(host)).toBe(false);
  });

  it.each(GOOD_HOSTS)("%j is accepted by all three", (host) => {
    expect(VirtualKeyCreate.safeParse({ provider: "openai", custom_host: host }).success).toBe(true);
    expect(VirtualKeyUpdate.safeParse({ custom_host: host }).success).toBe(true);
    expect(
      DeclarativeFile.safeParse({
        version: 1,
        tenants: [{ id: "acme", virtual_keys: [{ id: "vk", provider: "openai", custom_host: host }] }],
      }).success,
    ).toBe(true);
    expect(inlineAccepts(host)).toBe(true);
  });

  it("null still removes it on update", () => {
    expect(VirtualKeyUpdate.safeParse({ custom_host: null }).success).toBe(true);
  });

  it("plain fields hold the stored state's bound (2,048 characters), so a write cannot outgrow its event", () => {
    const long = "r".repeat(2049);
    expect(
      VirtualKeyCreate.safeParse({ provider: "azure-openai", resource_name: long }).error?.issues[0]?.path,
    ).toEqual(["resource_name"]);
    expect(VirtualKeyCreate.safeParse({ provider: "azure-openai", resource_name: "r".repeat(2048) }).success).toBe(
      true,
    );
  });
});
