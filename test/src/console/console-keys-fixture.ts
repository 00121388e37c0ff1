// The stack of console-manage-keys.test.ts: the embedded stack with an admin token and a master key,
// tenants acme and globex, API keys with and without the management scopes, a virtual key of
// globex's (which acme's pages must never show) and a prompt of acme's.

import { randomBytes } from "node:crypto";
import type { RunningStack } from "@switchyard/stack";
import { expect } from "vitest";
import { startTestStack, tempDir } from "../e2e/support.ts";

const ADMIN_TOKEN = "console-keys-admin-token-0123456789";
export const DEFAULT_SCOPES = ["completions", "prompts.read", "prompts.write", "analytics.read", "feedback.write"];
export const MANAGEMENT_SCOPES = [
  "virtual_keys.read",
  "virtual_keys.write",
  "guardrails.read",
  "guardrails.write",
  "configs.read",
  "limits.read",
  "limits.write",
];

export interface KeysStack {
  dataDir: string;
  stack: RunningStack;
  gatewayUrl: string;
  consoleUrl: string;
  /** manager: defaults + management (no configs.write); reader: a few .read; plain: no list; globex: another tenant's manager. */
  keys: Record<"manager" | "reader" | "plain" | "globex", string>;
  /** acme's prompt "haiku", one version. */
  promptId: string;
  /** The admin API with the admin token; asserts a 2xx and answers the JSON body. */
  adminCall: (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;
}

export async function startKeysStack(): Promise<KeysStack> {
  const dataDir = await tempDir("console-keys");
  const stack = await startTestStack({
    DATA_DIR: dataDir,
    INGEST_FLUSH_INTERVAL_MS: "50",
    SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    SWITCHYARD_MASTER_KEY: randomBytes(32).toString("base64"),
  });
  const gatewayUrl = stack.gateway!.url;
  const adminCall = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${gatewayUrl}/v1/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    expect(response.status, text).toBeLessThan(300);
    return JSON.parse(text) as Record<string, unknown>;
  };
  await adminCall("POST", "/tenants", { id: "acme" });
  await adminCall("POST", "/tenants", { id: "globex" });
  const key = async (tenant: string, scopes?: string[]) =>
    (await adminCall("POST", `/tenants/${tenant}/api-keys`, scopes ? { scopes } : {})).key as string;
  const keys = {
    manager: await key("acme", [...DEFAULT_SCOPES, ...MANAGEMENT_SCOPES]),
    reader: await key("acme", [...DEFAULT_SCOPES, "virtual_keys.read", "guardrails.read"]),
    plain: await key("acme"),
    globex: await key("globex", [...DEFAULT_SCOPES, ...MANAGEMENT_SCOPES]),
  };
  await adminCall("POST", "/tenants/globex/virtual-keys", {
    id: "globex-vk",
    provider: "openai",
    api_key: "sk-g-1111",
  });
  const created = await fetch(`${gatewayUrl}/v1/prompts`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-portkey-api-key": keys.manager },
    body: JSON.stringify({ name: "haiku", string: "A haiku about {{topic}}", model: "gpt-4o-mini" }),
  });
  expect(created.status).toBe(200);
  const promptId = ((await created.json()) as { id: string }).id;
  return { dataDir, stack, gatewayUrl, consoleUrl: `${stack.analytics!.url}/console`, keys, promptId, adminCall };
}
