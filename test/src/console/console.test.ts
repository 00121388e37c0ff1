// The built-in web console in a real browser (headless Chromium via playwright-core) against the
// embedded stack: requests go through the gateway, ingest stores them, the analytics API serves both
// the data and the console. Screenshots land in test/artifacts/console/ (gitignored).

import { readFile, rm } from "node:fs/promises";
import type { RunningStack } from "@switchyard/stack";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CONSOLE_VIEWPORT,
  ensureConsoleBuilt,
  expectNoSeriousViolations,
  launchChromium,
  screenshot,
} from "./browser.ts";
import { ACME_KEY, SENT, startWatchedStack } from "./console-fixture.ts";

/** A laptop screen. */
const VIEWPORT = CONSOLE_VIEWPORT;

describe("web console in a real browser", () => {
  let dataDir: string;
  let stack: RunningStack;
  let browser: Browser;
  let consoleUrl: string;
  /** A custom range of six whole hours ending with the current one: the chart must show six points. */
  let rangeQuery: string;
  /** A prompt template with two versions, each run once (by carol). */
  let promptId: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    ({ dataDir, stack, consoleUrl, promptId, rangeQuery } = await startWatchedStack());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A fresh browser profile; bypassCSP only so the axe audit script can be injected. */
  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: VIEWPORT, bypassCSP: true, acceptDownloads: true });
    return { context, page: await context.newPage() };
  }

  /** A page that already holds the tenant's key (as after the user entered it once). */
  async function signedInPage(): Promise<{ context: BrowserContext; page: Page }> {
    const opened = await newPage();
    await opened.context.addInitScript((key) => localStorage.setItem("switchyard-console-api-key", key), ACME_KEY);
    return opened;
  }

  it("asks for a key, says in words when it is wrong, then shows the tenant's overview with one point per hour", async () => {
    const { context, page } = await newPage();
    await page.goto(`${consoleUrl}/?${rangeQuery}`);
    await page.getByRole("alert").filter({ hasText: "This analytics API requires an API key" }).waitFor();
    await expectNoSeriousViolations(page, "the key prompt");

    const prompt = page.getByRole("alert").getByLabel("API key");
    await prompt.fill("sk-not-a-key");
    await page.getByRole("alert").getByRole("button", { name: "Use this key" }).click();
    await page.getByRole("alert").filter({ hasText: "The API key you entered is not valid" }).waitFor();

    await page.getByRole("alert").getByLabel("API key").fill(ACME_KEY);
    await page.getByRole("alert").getByLabel("API key").press("Enter");
    const charts = page.locator("figure.chart");
    await charts.first().waitFor();
    // Six whole hours in the range: one point per hour, the empty ones as zero.
    expect(await charts.evaluateAll((figures) => figures.map((f) => f.getAttribute("data-points")))).toEqual([
      "6",
      "6",
    ]);
    // uPlot draws once the figure has a size (a ResizeObserver callback).
    await page.locator("figure.chart canvas").nth(1).waitFor();
    expect(await page.locator("figure.chart canvas").count()).toBe(2);
    expect(await page.locator(".stat", { hasText: "Requests" }).locator(".stat-value").textContent()).toBe("5");
    const models = await page.locator(".table-wrap tbody tr td:first-child").allTextContents();
    expect(models.sort()).toEqual(["claude-sonnet-4-5", "gpt-4o-mini"]);
    await screenshot(page, "overview-light");
    await expectNoSeriousViolations(page, "the overview (light)");

    await page.getByRole("button", { name: "Dark theme" }).click();
    await page.locator("figure.chart canvas").first().waitFor();
    expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");
    await screenshot(page, "overview-dark");
    await expectNoSeriousViolations(page, "the overview (dark)");
    await context.close();
  });

  it("groups by user from the keyboard, keeps the choice in the URL and downloads the table as CSV", async () => {
    const { context, page } = await signedInPage();
    await page.goto(`${consoleUrl}/?${rangeQuery}`);
    await page.locator("figure.chart").first().waitFor();
    // Keyboard only: focus the navigation link, follow it, pick a grouping.
    await page.getByRole("link", { name: "Breakdowns" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/console\/breakdowns\?/);
    await page.getByLabel("Group by").focus();
    await page.getByLabel("Group by").selectOption("user");
    await page.waitForURL(/group_by=user/);
    const rows = page.locator(".table-wrap tbody tr");
    await rows.first().waitFor();
    const users = await page.locator(".table-wrap tbody tr td:first-child").allTextContents();
    expect(users.sort()).toEqual(["alice", "bob", "carol"]);
    // One line per user over the six hours of the range.
    const chart = page.locator("figure.chart");
    expect(await chart.getAttribute("data-points")).toBe("6");
    await chart.locator(".u-legend").waitFor();
    const legend = await chart.locator(".u-legend .u-label").allTextContents();
    expect(legend.slice(1).sort()).toEqual(["alice", "bob", "carol"]);
    const alice = rows.filter({ hasText: "alice" });
    expect(await alice.locator("td").nth(1).textContent()).toBe("2");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("breakdown-by-user.csv");
    const csv = await readFile((await download.path())!, "utf8");
    expect(csv.split("\r\n")[0]).toMatch(/^user,requests,errors,error rate,input tokens,output tokens,cost usd,/);
    expect(csv).toMatch(/\r\nalice,2,0,0,/);
    expect(csv).toMatch(/\r\nbob,1,0,0,/);
    await screenshot(page, "breakdown-by-user");
    await expectNoSeriousViolations(page, "the breakdown");

    // The URL is the view: opening it in a new page shows the same grouping.
    const shared = page.url();
    const again = await context.newPage();
    await again.goto(shared);
    await again.locator(".table-wrap tbody tr").first().waitFor();
    expect((await again.locator(".table-wrap tbody tr td:first-child").allTextContents()).sort()).toEqual([
      "alice",
      "bob",
      "carol",
    ]);
    await context.close();
  });

  it("filters the log by user from a breakdown row, and opens a request's detail", async () => {
    const { context, page } = await signedInPage();
    await page.goto(`${consoleUrl}/breakdowns?group_by=user&${rangeQuery}`);
    await page.getByRole("link", { name: "alice" }).click();
    await page.waitForURL(/\/console\/log\?.*user=alice/);
    const rows = page.locator(".table-wrap tbody tr");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.locator("td:nth-child(2)").allTextContents()).toEqual(["alice", "alice"]);
    expect(await page.getByRole("list", { name: "Active filters" }).textContent()).toContain("user = alice");
    // The export streams every matching request (not just the page) from the API, with the key.
    const [exported] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export all matching (CSV)" }).click(),
    ]);
    const lines = (await readFile((await exported.path())!, "utf8")).trim().split(/\r?\n/);
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).every((line) => line.includes("alice"))).toBe(true);
    await screenshot(page, "log-filtered-by-user");
    await expectNoSeriousViolations(page, "the request log");

    // Newest first: the second request alice sent.
    await rows.first().locator("td").first().getByRole("link").click();
    await page.waitForURL(/\/console\/requests\//);
    const facts = page.locator("dl.facts");
    await facts.waitFor();
    const text = await facts.textContent();
    expect(text).toContain("alice");
    expect(text).toContain("claude-sonnet-4-5");
    expect(text).toContain("acme");
    expect(await page.locator("table", { hasText: "Metadata" }).textContent()).toContain("search");
    expect(await page.locator("table", { hasText: "Attempts (1)" }).locator("tbody td").nth(1).textContent()).toBe(
      "mock",
    );
    await screenshot(page, "request-detail");
    await expectNoSeriousViolations(page, "the request detail");
    await context.close();
  });

  it("lists a prompt's versions with their metrics and opens the requests of one version", async () => {
    const { context, page } = await signedInPage();
    await page.goto(`${consoleUrl}/?${rangeQuery}`);
    await page.getByRole("link", { name: "Prompts" }).click();
    await page.waitForURL(/\/console\/prompts\?/);
    const table = page.locator("table", { hasText: `Prompt ${promptId}: 2 version(s)` });
    await table.waitFor();
    expect(await table.locator("tbody tr td:first-child").allTextContents()).toEqual(["v2", "v1"]);
    expect(await table.locator("tbody tr td:nth-child(2)").allTextContents()).toEqual(["1", "1"]);
    await screenshot(page, "prompts");
    await expectNoSeriousViolations(page, "the prompts page");
    await table.getByRole("link", { name: "v1" }).click();
    await page.waitForURL(/prompt_version=/);
    const rows = page.locator(".table-wrap tbody tr");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator("td").nth(1).textContent()).toBe("carol");
    await context.close();
  });

  it("finds a trace by its id from the log's search box", async () => {
    const { context, page } = await signedInPage();
    await page.goto(`${consoleUrl}/log?${rangeQuery}`);
    const trace = SENT[2]!.trace;
    await page.getByLabel("Trace id").fill(trace);
    await page.getByLabel("Trace id").press("Enter");
    await page.waitForURL(new RegExp(`/console/traces/${trace}`));
    const rows = page.locator(".table-wrap tbody tr");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator("td").nth(1).textContent()).toBe("bob");
    expect(await page.locator("ol.waterfall li").count()).toBe(1);
    await screenshot(page, "trace");
    await context.close();
  });

  it("names the filter the API rejects", async () => {
    const { context, page } = await signedInPage();
    await page.goto(`${consoleUrl}/log?${rangeQuery}&metadata.bad%20key=x`);
    const alert = page.getByRole("alert");
    await alert.filter({ hasText: "The analytics API rejected this query" }).waitFor();
    expect(await alert.textContent()).toContain("metadata.bad key");
    // The filter shows as active and can be removed, which brings the log back.
    await page.getByRole("button", { name: "Remove filter metadata.bad key" }).click();
    await page.locator(".table-wrap tbody tr").first().waitFor();
    await context.close();
  });

  it("says a slow query is still running, then shows its answer; a preset time range goes into the URL", async () => {
    const { context, page } = await signedInPage();
    // The breakdown is held, as a heavy query over a long range would be, until the page says it is
    // still loading; then it is let through.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/v1/analytics/breakdown?**", async (route) => {
      await released;
      await route.continue();
    });
    await page.goto(`${consoleUrl}/breakdowns?group_by=user&${rangeQuery}`);
    await page
      .getByRole("status")
      .filter({ hasText: /Still loading… \d+ s/ })
      .waitFor();
    release();
    await page.locator(".table-wrap tbody tr").first().waitFor();
    expect(await page.locator("section[aria-busy=true]").count()).toBe(0);

    await page.unroute("**/v1/analytics/breakdown?**");
    await page.getByLabel("Time range").selectOption("7d");
    await page.waitForURL(/range=7d/);
    expect(page.url()).not.toContain("from=");
    expect(page.url()).toContain("group_by=user");
    await page.locator(".table-wrap tbody tr").first().waitFor();
    expect((await page.locator(".table-wrap tbody tr td:first-child").allTextContents()).sort()).toEqual([
      "alice",
      "bob",
      "carol",
    ]);
    await context.close();
  });

  it("says so in words when the analytics API is unreachable, never a blank page or an endless spinner", async () => {
    const { context, page } = await signedInPage();
    await page.route("**/v1/**", (route) => route.abort("connectionrefused"));
    await page.goto(`${consoleUrl}/breakdowns?${rangeQuery}`);
    await page.getByRole("alert").filter({ hasText: "The analytics API is unreachable" }).waitFor();
    expect(await page.locator("[aria-busy=true]").count()).toBe(0);
    await page.unroute("**/v1/**");
    await page.getByRole("button", { name: "Retry" }).click();
    await page.locator(".table-wrap tbody tr").first().waitFor();
    await context.close();
  });
});
