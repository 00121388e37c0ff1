// The console's management pages with the API key the user entered (no admin token): the gateway's
// admin API lets a key with the management scopes manage its own tenant. Headless Chromium via
// playwright-core against the embedded stack: create/rotate/disable a virtual key, create and delete
// a saved guardrail, run an unsaved template in the playground (and a brand-new prompt), and every
// refusal (a key without the scopes, a read-only key, a bad key) said in words.

import { rm } from "node:fs/promises";
import type { RunningStack } from "@switchyard/stack";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureConsoleBuilt, expectNoSeriousViolations, launchChromium, pageWithKey, screenshot } from "./browser.ts";
import { DEFAULT_SCOPES, type KeysStack, MANAGEMENT_SCOPES, startKeysStack } from "./console-keys-fixture.ts";

const SECRET = "sk-console-key-secret-abcdef4321";
const ROTATED = "sk-console-key-rotated-mnop7788";

describe("web console: managing with a scoped API key, in a real browser", () => {
  let dataDir: string;
  let stack: RunningStack;
  let browser: Browser;
  let consoleUrl: string;
  let gatewayUrl: string;
  let keys: KeysStack["keys"];
  let promptId: string;
  let adminCall: KeysStack["adminCall"];

  beforeAll(async () => {
    ensureConsoleBuilt();
    ({ dataDir, stack, gatewayUrl, consoleUrl, keys, promptId, adminCall } = await startKeysStack());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const withKey = (key: string) => pageWithKey(browser, key);

  it("creates a virtual key with its secret masked, rotates and disables it, for the key's own tenant only", async () => {
    const { context, page } = await withKey(keys.manager);
    // The Tenant field names another tenant: a key manages its own, and the page says so.
    await page.goto(`${consoleUrl}/virtual-keys?tenant_id=globex`);
    await page.locator(".managing", { hasText: "Managing tenant acme (not globex" }).waitFor();
    await page.getByText("Tenant acme has no virtual key yet.").waitFor();
    expect(await page.content()).not.toContain("globex-vk");

    await page.getByLabel("Provider", { exact: true }).fill("openai");
    await page.getByLabel("Provider API key").fill(SECRET);
    await page.getByLabel("Id", { exact: true }).fill("vk-console");
    await page.getByLabel("Name", { exact: true }).fill("From the console");
    await page.getByRole("button", { name: "Create virtual key" }).click();
    await page.getByRole("status").filter({ hasText: "Virtual key vk-console created." }).waitFor();
    const row = page.locator(".table-wrap tbody tr", { hasText: "vk-console" });
    await row.filter({ hasText: "sk-…4321" }).waitFor();
    expect(await page.content()).not.toContain(SECRET);
    await screenshot(page, "virtual-keys-by-key");
    await expectNoSeriousViolations(page, "the virtual keys page with an API key");

    await row.getByLabel("New secret for vk-console").fill(ROTATED);
    await row.getByRole("button", { name: "Rotate" }).click();
    await page.getByRole("status").filter({ hasText: "Virtual key vk-console: secret rotated." }).waitFor();
    await row.filter({ hasText: "sk-…7788" }).waitFor();
    await row.getByRole("button", { name: "Disable vk-console" }).click();
    await row.getByRole("button", { name: "Enable vk-console" }).waitFor();
    expect(await page.content()).not.toContain(ROTATED);
    // Through the admin API the SDK uses: stored in acme, rotated and disabled; globex untouched.
    expect(await adminCall("GET", "/tenants/acme/virtual-keys/vk-console")).toMatchObject({
      name: "From the console",
      disabled: true,
      secrets: { api_key: "sk-…7788" },
    });
    expect(((await adminCall("GET", "/tenants/globex/virtual-keys")).data as unknown[]).length).toBe(1);
    await context.close();
  });

  it("creates a saved guardrail (the gateway's refusal of a bad check said in words), edits it, then deletes it", async () => {
    const { context, page } = await withKey(keys.manager);
    await page.goto(`${consoleUrl}/guardrails`);
    await page.getByLabel("Name", { exact: true }).fill("No secrets out");
    await page.getByLabel("Id", { exact: true }).fill("pg-console");
    await page.getByLabel("Checks (JSON array)").fill('[{"id": "no-such-check"}]');
    await page.getByRole("button", { name: "Create guardrail" }).click();
    const refusal = page.getByRole("alert").filter({ hasText: "checks[0].id" });
    await refusal.waitFor();
    await page.getByLabel("Checks (JSON array)").fill('[{"id": "pii", "parameters": {"categories": ["SSN"]}}]');
    await page.getByRole("button", { name: "Create guardrail" }).click();
    await page.getByRole("status").filter({ hasText: "Guardrail pg-console created." }).waitFor();
    const row = page.locator(".table-wrap tbody tr", { hasText: "pg-console" });
    expect(await row.locator("td").nth(3).textContent()).toBe("pii");
    await expectNoSeriousViolations(page, "the guardrails page with an API key");
    // Edited in place: the form takes the guardrail, the save is a new version of it.
    await row.getByRole("button", { name: "Edit pg-console" }).click();
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe("No secrets out");
    await page.getByLabel("Name", { exact: true }).fill("No SSN or email out");
    await page
      .getByLabel("Checks (JSON array)")
      .fill('[{"id": "pii", "parameters": {"categories": ["SSN", "EMAIL_ADDRESS"]}}]');
    await page.getByRole("button", { name: "Save pg-console" }).click();
    await page.getByRole("status").filter({ hasText: "Guardrail pg-console saved (version 2)." }).waitFor();
    await row.filter({ hasText: "No SSN or email out" }).waitFor();
    expect(await adminCall("GET", "/tenants/acme/guardrails/pg-console")).toMatchObject({
      name: "No SSN or email out",
      checks: [{ id: "pii", parameters: { categories: ["SSN", "EMAIL_ADDRESS"] } }],
      actions: { deny: true },
    });
    await row.getByRole("button", { name: "Delete pg-console" }).click();
    await page.getByRole("status").filter({ hasText: "Guardrail pg-console deleted." }).waitFor();
    await page.getByText("Tenant acme has no saved guardrail yet.").waitFor();
    await context.close();
  });

  it("runs an edited template unsaved (answer, latency, cost), then saves it as a new version", async () => {
    const { context, page } = await withKey(keys.manager);
    await page.goto(`${consoleUrl}/playground?prompt=${promptId}`);
    const template = page.getByLabel("Template");
    await template.waitFor();
    // The model field suggests what the tenant can reach (GET /v1/models).
    await page.locator('#pg-models option[value="gpt-4o-mini"]').waitFor({ state: "attached" });
    // `prompt` here picks the prompt; it is no log filter, so no filter chip claims it.
    expect(await page.getByRole("list", { name: "Active filters" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Request log" }).getAttribute("href")).not.toContain("prompt=");
    await template.fill("Three haiku about {{topic}} in {{language}}");
    await page.getByLabel("topic").fill("lighthouses");
    await page.getByLabel("language").fill("French");
    await page.getByLabel("Provider").fill("mock");
    await page.getByLabel("Parameters (JSON)").fill("{nope");
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByRole("status").filter({ hasText: "Parameters must be a JSON object" }).waitFor();
    await page.getByLabel("Parameters (JSON)").fill('{"temperature": 0.2}');
    await page.getByRole("button", { name: "Run" }).click();
    await page.locator("#pg-ran", { hasText: "Ran your edit, unsaved" }).waitFor();
    expect(await page.getByText("Parameters must be a JSON object").count()).toBe(0);
    // The mock echoes the rendered prompt: the unsaved template with both variables reached the model.
    expect(await page.locator("#pg-answer").textContent()).toContain("Three haiku about lighthouses in French");
    expect(await page.locator("#pg-latency").textContent()).toMatch(/^\d[\d,]* ms$/);
    // Read back from the analytics API once ingest has the request (up to 30 s on a busy machine).
    await page.locator("#pg-cost", { hasText: "$" }).waitFor({ timeout: 45_000 });
    await screenshot(page, "playground-unsaved-run");
    await expectNoSeriousViolations(page, "the playground after an unsaved run");
    const versions = async () => {
      const response = await fetch(`${gatewayUrl}/v1/prompts/${promptId}/versions`, {
        headers: { authorization: `Bearer ${keys.manager}` },
      });
      type Version = { prompt_version: number; string: string; parameters: Record<string, unknown> };
      return ((await response.json()) as { data: Version[] }).data;
    };
    expect((await versions()).map((v) => v.prompt_version)).toEqual([1]); // running saved nothing

    await page.getByRole("button", { name: "Save as new version" }).click();
    await page.getByRole("status").filter({ hasText: "Saved as version 2." }).waitFor();
    expect((await versions()).at(-1)).toMatchObject({
      prompt_version: 2,
      string: "Three haiku about {{topic}} in {{language}}",
      parameters: { temperature: 0.2 },
    });
    // Unedited, Run runs the saved version.
    await page.getByLabel("topic").fill("tides");
    await page.getByLabel("language").fill("Welsh");
    await page.getByLabel("Provider").fill("mock");
    await page.getByRole("button", { name: "Run" }).click();
    await page.locator("#pg-ran", { hasText: "Ran v2 as saved." }).waitFor();
    expect(await page.locator("#pg-answer").textContent()).toContain("Three haiku about tides in Welsh");
    await context.close();
  });

  it("writes a new prompt from scratch, routed by a chosen virtual key: runs it unsaved, then saves it", async () => {
    await adminCall("POST", "/tenants/acme/virtual-keys", { id: "vk-mock", provider: "mock" });
    const { context, page } = await withKey(keys.manager);
    await page.goto(`${consoleUrl}/playground?prompt=new`);
    // The virtual key field suggests the tenant's enabled virtual keys (vk-console is disabled).
    await page.locator('#pg-vks option[value="vk-mock"]').waitFor({ state: "attached" });
    expect(await page.locator('#pg-vks option[value="vk-console"]').count()).toBe(0);
    await page.getByLabel("Name of the new prompt").fill("limerick");
    await page.getByLabel("Template").fill("A limerick about {{animal}}");
    await page.getByLabel("animal").fill("a heron");
    await page.getByLabel("Model").fill("gpt-4o-mini");
    await page.getByLabel("Virtual key").fill("vk-mock");
    await page.getByRole("button", { name: "Run" }).click();
    await page.locator("#pg-answer", { hasText: "A limerick about a heron" }).waitFor();
    await page.getByRole("button", { name: "Save as a new prompt" }).click();
    await page.getByRole("status").filter({ hasText: "Saved as version 1." }).waitFor();
    const chosen = page.getByLabel("Prompt", { exact: true }).locator("option:checked");
    expect(await chosen.textContent()).toMatch(/^limerick \(/);
    expect(await page.getByLabel("Virtual key").inputValue()).toBe("vk-mock");
    await context.close();
  });

  it("sets the tenant's budget and rate limit, resets its usage; the spend table shows the new limit", async () => {
    const { context, page } = await withKey(keys.manager);
    await page.goto(`${consoleUrl}/limits`);
    await page.getByText("Tenant acme has no limit policy yet.").waitFor();
    await page.getByLabel("Budget counts").selectOption("cost");
    await page.getByLabel("Budget", { exact: true }).fill("7.5");
    await page.getByLabel("Period").selectOption("monthly");
    await page.getByLabel("Requests per minute").fill("600");
    await page.getByRole("button", { name: "Save limits" }).click();
    await page.getByRole("status").filter({ hasText: "Limits of tenant acme saved." }).waitFor();
    const policy = page.locator(".table-wrap tbody tr", { hasText: "$7.50 monthly" });
    await policy.filter({ hasText: "600 requests/rpm" }).waitFor();
    await policy.getByRole("button", { name: "Reset usage of tenant" }).click();
    await page.getByRole("status").filter({ hasText: "Usage of tenant reset." }).waitFor();
    expect(await adminCall("GET", "/tenants/acme/limits")).toMatchObject({
      usage_limits: { type: "cost", credit_limit: 7.5, periodic_reset: "monthly" },
      rate_limits: [{ type: "requests", unit: "rpm", value: 600 }],
      usage_reset_at: expect.any(String),
    });
    // Every replica's live counters (this one's) know the budget at once: the spend table shows it.
    await page.reload();
    const spend = page.locator(".table-wrap tbody tr", { hasText: "budget (cost)" });
    await spend.waitFor();
    expect((await spend.locator("td").allTextContents())[4]).toBe("$7.50");
    await screenshot(page, "limits-by-key");
    await expectNoSeriousViolations(page, "the limits page with an API key");
    await context.close();
  });

  it("says in words what went wrong: no management scope, read-only, not a key, a revoked key, the gateway down", async () => {
    const plain = await withKey(keys.plain);
    await plain.page.goto(`${consoleUrl}/virtual-keys`);
    await plain.page.getByRole("alert").filter({ hasText: "lacks the virtual_keys.read scope" }).waitFor();
    await plain.context.close();

    const reader = await withKey(keys.reader);
    await reader.page.goto(`${consoleUrl}/virtual-keys`);
    await reader.page.getByText("This API key may not change virtual keys (it lacks virtual_keys.write).").waitFor();
    expect(await reader.page.getByRole("button", { name: "Create virtual key" }).count()).toBe(0);
    await reader.page.goto(`${consoleUrl}/configs`);
    await reader.page.getByRole("alert").filter({ hasText: "lacks the configs.read scope" }).waitFor();
    await reader.context.close();

    const wrong = await withKey("sy-not-a-real-key");
    await wrong.page.goto(`${consoleUrl}/guardrails`);
    const alert = wrong.page.getByRole("alert");
    await alert.filter({ hasText: "neither the admin token nor a valid gateway API key" }).waitFor();
    // The way out is right there: a form for another key, and the operator's admin token.
    expect(await alert.getByLabel("API key").count()).toBe(1);
    expect(await wrong.page.getByText("Operator access (admin token)").count()).toBe(1);
    await wrong.context.close();

    const gone = await adminCall("POST", "/tenants/acme/api-keys", {
      scopes: [...DEFAULT_SCOPES, ...MANAGEMENT_SCOPES],
    });
    await adminCall("POST", `/tenants/acme/api-keys/${gone.id as string}/revoke`);
    const revoked = await withKey(gone.key as string);
    await revoked.page.goto(`${consoleUrl}/virtual-keys`);
    await revoked.page.getByRole("alert").filter({ hasText: "the gateway API key has been revoked" }).waitFor();
    await revoked.context.close();

    // The gateway down (its origin refused in this browser): said in words, with a retry.
    const down = await withKey(keys.manager);
    await down.context.route(`${gatewayUrl}/**`, (route) => route.abort("connectionrefused"));
    await down.page.goto(`${consoleUrl}/guardrails`);
    const unreachable = down.page.getByRole("alert").filter({ hasText: `The gateway at ${gatewayUrl} is unreachable` });
    await unreachable.waitFor();
    expect(await unreachable.getByRole("button", { name: "Retry" }).count()).toBe(1);
    await down.context.close();
  });
});
