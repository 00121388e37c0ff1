import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { REPO_ROOT } from "../e2e/support.ts";

/** Screenshots of the browser tests (gitignored): test/artifacts/console/. */
export const ARTIFACTS_DIR = join(REPO_ROOT, "test/artifacts/console");

/** Debian's chromium package (`.ci/run` installs it when absent); CHROMIUM_PATH overrides. */
const CONSOLE_DIR = join(REPO_ROOT, "console");

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/**
 * `npm ci` builds the console's bundle; a checkout whose sources changed since (a pull without a
 * reinstall) gets it rebuilt here, so the browser never tests a stale bundle.
 */
export function ensureConsoleBuilt(): void {
  const index = join(CONSOLE_DIR, "dist/index.html");
  const sources = Math.max(newestMtime(join(CONSOLE_DIR, "web")), newestMtime(join(CONSOLE_DIR, "index.html")));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync("npm", ["run", "build", "--silent", "-w", "@switchyard/console"], { cwd: REPO_ROOT, stdio: "pipe" });
}

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `no Chromium at ${path}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  return path;
}

export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Containers run the tests as root, where Chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface AxeViolation {
  id: string;
  impact: "minor" | "moderate" | "serious" | "critical" | null;
  help: string;
  nodes: { target: string[] }[];
}

const axeSource = (createRequire(import.meta.url)("axe-core") as { source: string }).source;

/**
 * Runs the axe-core accessibility audit (WCAG 2.x A/AA rules) on the page as it is now. The page's
 * context must be created with `bypassCSP: true`: the console's CSP rightly forbids injected scripts.
 */
export async function axeAudit(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
}

/** Serious and critical violations, one line each, for an assertion message. */
export function seriousViolations(violations: AxeViolation[]): string[] {
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** A laptop screen: what the console must be readable on. */
export const CONSOLE_VIEWPORT = { width: 1366, height: 860 };

/** A fresh browser profile holding an API key as the console keeps it; bypassCSP only so the axe audit can be injected. */
export async function pageWithKey(browser: Browser, key: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: CONSOLE_VIEWPORT, bypassCSP: true });
  await context.addInitScript((k) => localStorage.setItem("switchyard-console-api-key", k), key);
  return { context, page: await context.newPage() };
}

/** The axe audit of the page finds no serious or critical violation (`where` names the page in a failure). */
export async function expectNoSeriousViolations(page: Page, where: string): Promise<void> {
  expect(seriousViolations(await axeAudit(page)), `axe on ${where}`).toEqual([]);
}
