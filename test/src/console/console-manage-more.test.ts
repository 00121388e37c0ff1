// The console's management pages, the parts a scoped API key needed beyond the first forms:
// every provider secret in its own masked input (and none accepted in the JSON box), limit
// policies with conditions and group-by created, edited and deleted on the limits page, and the
// playground editing a version's saved config and running a saved version through another virtual
// key (recorded as that version). Headless Chromium via playwright-core, axe-audited.

import { rm } from "node:fs/promises";
import type { RunningStack } from "@switchyard/stack";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureConsoleBuilt, expectNoSeriousViolations, launchChromium, pageWithKey, screenshot } from "./browser.ts";
import { type KeysStack, startKeysStack } from "./console-keys-fixture.ts";

const AWS_ID = "AKIACONSOLETEST1234";
const AWS_SECRET = "aws-secret-console-abcdefgh5678";
const AWS_TOKEN = "aws-session-console-token-9012";
const AWS_ROTATED = "aws-secret-rotated-console-3456";

describe("web console: secrets, limit policies and the playground's routing, in a real browser", () => {
  let dataDir: string;
  let stack: RunningStack;
  let browser: Browser;
  let consoleUrl: string;
  let gatewayUrl: string;
  let keys: KeysStack["keys"];
  let adminCall: KeysStack["adminCall"];

  beforeAll(async () => {
    ensureConsoleBuilt();
    ({ dataDir, stack, gatewayUrl, consoleUrl, keys, adminCall } = await startKeysStack());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const withKey = (key: string) => pageWithKey(browser, key);

  it("asks for each of the provider's secrets in its own masked input and refuses a secret in the JSON box", async () => {
    const { context, page } = await withKey(keys.manager);
    await page.goto(`${consoleUrl}/virtual-keys`);
    const provider = page.getByLabel("Provider", { exact: true });
    await provider.fill("azure-openai");
    for (const label of ["Provider API key", "Azure AD token", "Azure Entra client secret"]) {
      expect(await page.getByLabel(label).getAttribute("type"), label).toBe("password");
    }
    await provider.fill("bedrock");
    expect(await page.getByLabel("Azure AD token").count()).toBe(0);
    for (const label of ["AWS access key id", "AWS secret access key", "AWS session token"]) {
      expect(await page.getByLabel(label).getAttribute("type"), label).toBe("password");
    }
    await page.getByLabel("AWS access key id").fill(AWS_ID);
    await page.getByLabel("AWS secret access key").fill(AWS_SECRET);
    await page.getByLabel("AWS session token").fill(AWS_TOKEN);
    await page.getByLabel("Id", { exact: true }).fill("vk-bedrock");
    // A secret typed into the JSON box is refused in words, as it is typed and again on submit.
    const other = page.getByLabel(/^Other fields, not secret/);
    await other.fill(`{"aws_region": "us-east-1", "aws_session_token": "typed-in-plain-sight"}`);
    await page.getByRole("status").filter({ hasText: "remove aws_session_token" }).waitFor();
    await page.getByRole("button", { name: "Create virtual key" }).click();
    await page.getByRole("status").filter({ hasText: 'type it into "AWS session token"' }).waitFor();
    expect(await page.getByText("Tenant acme has no virtual key yet.").count()).toBe(1);
    await other.fill('{"aws_region": "us-east-1"}');
    await page.getByRole("button", { name: "Create virtual key" }).click();
    await page.getByRole("status").filter({ hasText: "Virtual key vk-bedrock created." }).waitFor();
    const row = page.locator(".table-wrap tbody tr", { hasText: "vk-bedrock" });
    await row.filter({ hasText: "aws_secret_access_key:" }).waitFor();
    const html = await page.content();
    for (const secret of [AWS_ID, AWS_SECRET, AWS_TOKEN]) expect(html).not.toContain(secret);
    const stored = await adminCall("GET", "/tenants/acme/virtual-keys/vk-bedrock");
    expect(stored).toMatchObject({ provider: "bedrock", fields: { aws_region: "us-east-1" } });
    expect(Object.keys(stored.secrets as object).sort()).toEqual([
      "aws_access_key_id",
      "aws_secret_access_key",
      "aws_session_token",
    ]);
    expect(JSON.stringify(stored)).not.toContain(AWS_SECRET);
    await screenshot(page, "virtual-key-provider-secrets");
    await expectNoSeriousViolations(page, "the virtual keys page with a Bedrock key");
    // Rotated one secret at a time, each masked; the others stay.
    await row.getByText("Rotate secrets of vk-bedrock").click();
    const rotate = row.getByLabel("New AWS secret access key for vk-bedrock");
    expect(await rotate.getAttribute("type")).toBe("password");
    await rotate.fill(AWS_ROTATED);
    await row.getByRole("button", { name: "Rotate" }).click();
    await page.getByRole("status").filter({ hasText: "Virtual key vk-bedrock: secret rotated." }).waitFor();
    expect(await page.content()).not.toContain(AWS_ROTATED);
    const rotated = await adminCall("GET", "/tenants/acme/virtual-keys/vk-bedrock");
    expect(rotated.version).toBeGreaterThan(stored.version as number);
    expect(Object.keys(rotated.secrets as object)).toHaveLength(3);
    await context.close();
  });

  it("creates a limit policy with conditions and group-by (the API's refusal shown), edits it, then deletes it", async () => {
    const { context, page } = await withKey(keys.manager);
    await page.goto(`${consoleUrl}/limits`);
    await page.getByRole("form", { name: "New limit policy" }).waitFor();
    await page.getByLabel("Policy id").fill("gpt4o-per-user");
    await page.getByLabel("Policy name").fill("gpt-4o per user");
    const rule = page.getByLabel(/^Policy \(JSON/);
    const body = (groupBy: string, limit: number) =>
      JSON.stringify({
        conditions: [{ key: "model", value: "gpt-4o" }],
        group_by: [{ key: groupBy }],
        usage_limits: { type: "cost", credit_limit: limit, periodic_reset: "daily" },
        rate_limits: [{ type: "requests", unit: "rpm", value: 30 }],
      });
    await rule.fill(body("user", 5));
    await page.getByRole("button", { name: "Create limit policy" }).click();
    // The gateway's own schema error, naming the field.
    await page.getByRole("alert").filter({ hasText: "group_by" }).waitFor();
    await rule.fill(body("metadata._user", 5));
    await page.getByRole("button", { name: "Create limit policy" }).click();
    await page.getByRole("status").filter({ hasText: "Limit policy gpt4o-per-user saved." }).waitFor();
    const row = page.locator(".table-wrap tbody tr", { hasText: "gpt4o-per-user" });
    await row.filter({ hasText: "model = gpt-4o" }).filter({ hasText: "metadata._user" }).waitFor();
    await screenshot(page, "limit-policies");
    await expectNoSeriousViolations(page, "the limits page with a limit policy");

    await row.getByRole("button", { name: "Edit gpt4o-per-user" }).click();
    expect(await page.getByLabel("Policy id").isDisabled()).toBe(true);
    expect(JSON.parse(await rule.inputValue())).toMatchObject({ group_by: [{ key: "metadata._user" }] });
    // A request the policy counts (model gpt-4o, user ann): its group gets counters.
    const sent = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-portkey-api-key": keys.manager,
        "x-portkey-provider": "mock",
        "x-portkey-metadata": '{"_user":"ann"}',
      },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(sent.status).toBe(200);
    await rule.fill(body("metadata._user", 9));
    await page.getByRole("button", { name: "Save gpt4o-per-user" }).click();
    await page.getByRole("status").filter({ hasText: "Limit policy gpt4o-per-user saved." }).waitFor();
    await row.filter({ hasText: "$9.00 daily" }).waitFor();
    // The spend panel above reloads with the change (no page reload): ann's budget, at the new limit.
    const spend = page.locator("tbody tr", { hasText: "budget (cost)" }).filter({ hasText: "gpt4o-per-user" });
    await spend.filter({ hasText: "ann" }).filter({ hasText: "$9.00" }).waitFor();
    expect(await adminCall("GET", "/tenants/acme/limit-policies/gpt4o-per-user")).toMatchObject({
      name: "gpt-4o per user",
      conditions: [{ key: "model", value: "gpt-4o" }],
      group_by: [{ key: "metadata._user" }],
      usage_limits: { type: "cost", credit_limit: 9, periodic_reset: "daily" },
      rate_limits: [{ type: "requests", unit: "rpm", value: 30 }],
    });
    await row.getByRole("button", { name: "Delete gpt4o-per-user" }).click();
    await page.getByRole("status").filter({ hasText: "Limit policy gpt4o-per-user deleted." }).waitFor();
    await page.getByText("Tenant acme has no limit policy yet.").waitFor();
    await context.close();
  });

  it("runs a saved version through another virtual key as that version, and saves an edited config", async () => {
    await adminCall("POST", "/tenants/acme/virtual-keys", { id: "vk-first", provider: "mock" });
    await adminCall("POST", "/tenants/acme/virtual-keys", { id: "vk-second", provider: "mock" });
    await adminCall("POST", "/tenants/acme/configs", { id: "pc-mock", config: { provider: "mock" } });
    const created = await fetch(`${gatewayUrl}/v1/prompts`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-portkey-api-key": keys.manager },
      body: JSON.stringify({ name: "routed", string: "A line about {{topic}}", virtual_key: "vk-first" }),
    });
    const promptId = ((await created.json()) as { id: string }).id;
    const { context, page } = await withKey(keys.manager);
    await page.goto(`${consoleUrl}/playground?prompt=${promptId}`);
    await page.locator('#pg-configs option[value="pc-mock"]').waitFor({ state: "attached" });
    expect(await page.getByLabel("Virtual key").inputValue()).toBe("vk-first");
    await page.getByLabel("topic").fill("herons");
    await page.getByLabel("Model").fill("gpt-4o-mini");
    await page.getByLabel("Virtual key").fill("vk-second");
    await page.getByRole("button", { name: "Run" }).click();
    await page.locator("#pg-ran", { hasText: "Ran v1 as saved, through virtual key vk-second." }).waitFor();
    expect(await page.locator("#pg-answer").textContent()).toContain("A line about herons");
    // Recorded as the saved version, routed by the other key (read back from the analytics API).
    const analytics = async (path: string) =>
      (await (
        await fetch(`${stack.analytics!.url}${path}`, { headers: { authorization: `Bearer ${keys.manager}` } })
      ).json()) as Record<string, unknown>;
    const deadline = Date.now() + 45_000;
    let recorded: Record<string, unknown> | undefined;
    while (recorded === undefined && Date.now() < deadline) {
      const rows = ((await analytics("/v1/requests")).data ?? []) as { event_id: string }[];
      for (const row of rows) {
        const detail = await analytics(`/v1/requests/${row.event_id}`);
        if (JSON.stringify(detail).includes('"virtual_key_id":"vk-second"')) recorded = detail;
      }
      if (recorded === undefined) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(JSON.stringify(recorded)).toContain(`"prompt_id":"${promptId}"`);
    expect(JSON.stringify(recorded)).toContain('"prompt_version":1');

    // The version's saved config: edited, it runs as an unsaved edit; saved, it is the new version's.
    await page.getByLabel("Virtual key").fill("vk-first");
    await page.getByLabel("Config").fill("pc-mock");
    await page.getByRole("button", { name: "Run" }).click();
    await page.locator("#pg-ran", { hasText: "Ran your edit, unsaved" }).waitFor();
    await page.getByRole("button", { name: "Save as new version" }).click();
    await page.getByRole("status").filter({ hasText: "Saved as version 2." }).waitFor();
    expect(await page.getByLabel("Config").inputValue()).toBe("pc-mock");
    const versions = await fetch(`${gatewayUrl}/v1/prompts/${promptId}/versions`, {
      headers: { authorization: `Bearer ${keys.manager}` },
    });
    const list = ((await versions.json()) as { data: { prompt_version: number; config: string | null }[] }).data;
    expect(list.at(-1)).toMatchObject({ prompt_version: 2, config: "pc-mock" });
    // An emptied config cannot be saved (a new version would keep it): said in words, nothing saved.
    await page.getByLabel("Config").fill("");
    await page.getByRole("button", { name: "Save as new version" }).click();
    await page.getByRole("status").filter({ hasText: "the prompt API cannot remove it" }).waitFor();
    await screenshot(page, "playground-config");
    await expectNoSeriousViolations(page, "the playground with a config");
    await context.close();
  });
});
