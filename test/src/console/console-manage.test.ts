// The console's management pages in a real browser (headless Chromium via playwright-core) against
// the embedded stack: the console, served by the analytics API, calls the gateway's prompt, limits
// and admin APIs across origins (the gateway allows the console's origin by CORS), with the user's
// API key (prompts, limits) or an operator's admin token (virtual keys, saved configs, guardrails;
// the same pages with a scoped API key: console-manage-keys.test.ts).

import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "@switchyard/platform";
import type { RunningStack } from "@switchyard/stack";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, tempDir } from "../e2e/support.ts";
import { ensureConsoleBuilt, expectNoSeriousViolations, launchChromium, pageWithKey, screenshot } from "./browser.ts";

const ACME_KEY = "sk-console-manage-acme";
/** A key that may read analytics but not run or write prompts. */
const READER_KEY = "sk-console-manage-reader";
/** The gateway's admin token (virtual keys, saved configs, guardrails): the admin pages ask for it. */
const ADMIN_TOKEN = "console-admin-token-0123456789";
/** A provider secret stored in a virtual key: the console must only ever show it masked. */
const UPSTREAM_SECRET = "sk-upstream-secret-abcdef123456";
const ROTATED_SECRET = "sk-rotated-secret-zyxw9876";

describe("web console: managing through the gateway, in a real browser", () => {
  let dataDir: string;
  let stack: RunningStack;
  let browser: Browser;
  let consoleUrl: string;
  let promptId: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    dataDir = await tempDir("console-manage");
    const keysFile = join(dataDir, "keys.json");
    await writeFile(
      keysFile,
      JSON.stringify({
        keys: [
          { id: "k-acme", tenant_id: "acme", key_sha256: sha256Hex(ACME_KEY), role: "tenant" },
          {
            id: "k-reader",
            tenant_id: "acme",
            key_sha256: sha256Hex(READER_KEY),
            role: "tenant",
            scopes: ["analytics.read"],
          },
        ],
      }),
    );
    stack = await startTestStack({
      DATA_DIR: dataDir,
      INGEST_FLUSH_INTERVAL_MS: "50",
      SWITCHYARD_KEYS_FILE: keysFile,
      SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
      SWITCHYARD_MASTER_KEY: randomBytes(32).toString("base64"),
    });
    const gatewayUrl = stack.gateway!.url;
    consoleUrl = `${stack.analytics!.url}/console`;
    const created = await fetch(`${gatewayUrl}/v1/prompts`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-portkey-api-key": ACME_KEY },
      body: JSON.stringify({ name: "haiku", string: "A haiku about {{topic}}", model: "gpt-4o-mini" }),
    });
    expect(created.status).toBe(200);
    promptId = ((await created.json()) as { id: string }).id;
    const admin = async (method: string, path: string, body: unknown) => {
      const response = await fetch(`${gatewayUrl}/v1/admin${path}`, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.text()).toBeLessThan(300);
    };
    await admin("POST", "/tenants", { id: "acme" });
    await admin("POST", "/tenants/acme/virtual-keys", {
      id: "openai-prod",
      provider: "openai",
      api_key: UPSTREAM_SECRET,
    });
    await admin("PUT", "/tenants/acme/limits", { usage_limits: { type: "cost", credit_limit: 5 } });
    await admin("POST", "/tenants/acme/guardrails", {
      id: "pg-no-pii",
      name: "No PII in prompts",
      checks: [{ id: "pii", parameters: { categories: ["SSN"] } }],
      actions: { deny: true },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A fresh browser profile holding an API key; bypassCSP only so the axe audit can be injected. */
  const signedInPage = (key = ACME_KEY) => pageWithKey(browser, key);

  it("runs a prompt in the playground (answer, latency, cost), saves the edit as a new version and moves a label", async () => {
    const { context, page } = await signedInPage();
    await page.goto(`${consoleUrl}/`);
    await page.getByRole("link", { name: "Playground" }).click();
    await page.waitForURL(/\/console\/playground/);
    await page.getByLabel("Template").waitFor();
    expect(await page.getByLabel("Version").inputValue()).toBe("1");
    expect(await page.getByLabel("Template").inputValue()).toBe("A haiku about {{topic}}");
    // The template's variables become inputs.
    await page.getByLabel("topic").fill("lighthouses");
    await page.getByLabel("Provider").fill("mock");
    await page.getByRole("button", { name: "Run" }).click();
    const answer = page.locator("#pg-answer");
    await answer.waitFor();
    // The mock provider answers from the rendered prompt: the variable reached the model.
    expect(await answer.textContent()).toContain("lighthouses");
    expect(await page.locator("#pg-latency").textContent()).toMatch(/^\d[\d,]* ms$/);
    // The cost comes from the recorded request (its trace id), once ingest has it.
    await page.locator("#pg-cost", { hasText: "$" }).waitFor({ timeout: 45_000 });
    await screenshot(page, "playground-run");
    await expectNoSeriousViolations(page, "the prompt playground");

    await page.getByLabel("Template").fill("Two haiku about {{topic}}");
    await page.getByRole("button", { name: "Save as new version" }).click();
    await page.getByRole("status").filter({ hasText: "Saved as version 2." }).waitFor();
    await page.waitForURL(/version=2/);
    expect(await page.getByLabel("Template").inputValue()).toBe("Two haiku about {{topic}}");
    await page.getByLabel("Label to point at v2").fill("production");
    await page.getByRole("button", { name: "Move label" }).click();
    await page.getByRole("status").filter({ hasText: "Label production now points at v2." }).waitFor();
    expect(await page.getByLabel("Version").locator("option:checked").textContent()).toBe("v2 (production)");
    // Through the same API the SDK uses: the label resolves to the new version.
    const head = await fetch(`${stack.gateway!.url}/v1/prompts/${promptId}/versions`, {
      headers: { authorization: `Bearer ${ACME_KEY}` },
    });
    const versions = ((await head.json()) as { data: { prompt_version: number; string: string; labels: string[] }[] })
      .data;
    expect(versions.find((v) => v.prompt_version === 2)).toMatchObject({
      string: "Two haiku about {{topic}}",
      labels: ["production"],
    });
    await context.close();
  });

  it("lists a tenant's virtual keys with masked secrets, disables one and rotates its secret with the admin token", async () => {
    const { context, page } = await signedInPage();
    await page.goto(`${consoleUrl}/virtual-keys?tenant_id=acme`);
    // This API key has no management scope (a key without a list never has): the page says so.
    await page.getByRole("alert").filter({ hasText: "lacks the virtual_keys.read scope" }).waitFor();
    // An operator opens the folded admin-token form and manages any tenant (the Tenant field's).
    await page.getByText("Operator access (admin token)").click();
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Use this admin token" }).click();
    const row = page.locator(".table-wrap tbody tr", { hasText: "openai-prod" });
    await row.waitFor();
    const text = (await row.textContent()) ?? "";
    expect(text).toContain("active");
    expect(text).not.toContain(UPSTREAM_SECRET);
    expect(await page.content()).not.toContain(UPSTREAM_SECRET);
    await screenshot(page, "virtual-keys");
    await expectNoSeriousViolations(page, "the virtual keys page");

    await row.getByRole("button", { name: "Disable openai-prod" }).click();
    await page.getByRole("status").filter({ hasText: "Virtual key openai-prod disabled." }).waitFor();
    await row.getByRole("button", { name: "Enable openai-prod" }).waitFor();
    expect(await row.textContent()).toContain("disabled");
    const shown = await fetch(`${stack.gateway!.url}/v1/admin/tenants/acme/virtual-keys/openai-prod`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(((await shown.json()) as { disabled: boolean }).disabled).toBe(true);

    // Rotation: the new secret goes in, only its masked hint comes back.
    expect(await row.textContent()).toContain("sk-…3456");
    await row.getByLabel("New secret for openai-prod").fill(ROTATED_SECRET);
    await row.getByRole("button", { name: "Rotate" }).click();
    await page.getByRole("status").filter({ hasText: "Virtual key openai-prod: secret rotated." }).waitFor();
    await row.filter({ hasText: "sk-…9876" }).waitFor();
    expect(await page.content()).not.toContain(ROTATED_SECRET);
    await context.close();
  });

  it("shows the tenant's budget with what the playground run spent", async () => {
    const { context, page } = await signedInPage();
    await page.goto(`${consoleUrl}/limits`);
    const row = page.locator(".table-wrap tbody tr").first();
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    expect(cells[1]).toBe("budget (cost)");
    expect(cells[4]).toBe("$5.00");
    // The run above cost something: the live counter shows it.
    expect(cells[3]).toMatch(/^\$0\.0\d*[1-9]/);
    await screenshot(page, "limits");
    await expectNoSeriousViolations(page, "the limits page");
    await context.close();
  });

  it("edits a saved config as JSON, with the gateway's own schema errors as you type, then saves it", async () => {
    const { context, page } = await signedInPage();
    await context.addInitScript((t) => sessionStorage.setItem("switchyard-console-admin-token", t), ADMIN_TOKEN);
    await page.goto(`${consoleUrl}/configs?tenant_id=acme`);
    const editor = page.getByLabel("Config (JSON)");
    await editor.waitFor();
    await page.locator("#config-check", { hasText: "Valid" }).waitFor();
    await editor.fill('{"strategy": {"mode": "sometimes"}, "targets": [');
    await page.locator("#config-check", { hasText: "Not JSON" }).waitFor();
    await editor.fill('{"strategy": {"mode": "sometimes"}, "targets": []}');
    const errors = page.getByRole("list", { name: "Config errors" });
    await errors.waitFor();
    expect(await errors.textContent()).toContain("strategy.mode");
    await screenshot(page, "config-invalid");
    await expectNoSeriousViolations(page, "the saved configs page");
    await editor.fill('{"strategy": {"mode": "fallback"}, "targets": [{"provider": "mock"}, {"provider": "openai"}]}');
    await page.locator("#config-check", { hasText: "Valid: the gateway accepts this config." }).waitFor();
    await page.getByLabel("Config id").fill("pc-fallback");
    await page.getByRole("button", { name: "Save as a new config" }).click();
    await page.getByRole("status").filter({ hasText: "Saved pc-fallback v1." }).waitFor();
    await page.getByRole("button", { name: "Edit pc-fallback" }).waitFor();
    // A request through the gateway may use it by id at once.
    const used = await fetch(`${stack.gateway!.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-portkey-api-key": ACME_KEY, "x-portkey-config": "pc-fallback" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(used.status, await used.text()).toBe(200);
    await context.close();
  });

  it("lists the tenant's saved guardrails with their checks", async () => {
    const { context, page } = await signedInPage();
    await context.addInitScript((t) => sessionStorage.setItem("switchyard-console-admin-token", t), ADMIN_TOKEN);
    await page.goto(`${consoleUrl}/guardrails?tenant_id=acme`);
    const row = page.locator(".table-wrap tbody tr", { hasText: "pg-no-pii" });
    await row.waitFor();
    expect(await row.textContent()).toContain("No PII in prompts");
    expect(await row.locator("td").nth(3).textContent()).toBe("pii");
    await expectNoSeriousViolations(page, "the saved guardrails page");
    await context.close();
  });

  it("a key without the prompt scopes is told so in words by the playground", async () => {
    const { context, page } = await signedInPage(READER_KEY);
    await page.goto(`${consoleUrl}/playground`);
    const alert = page.getByRole("alert");
    await alert.filter({ hasText: "Not allowed" }).waitFor();
    expect(await alert.textContent()).toContain("prompts.read");
    await context.close();
  });
});
