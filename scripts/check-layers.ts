import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";

/**
 * The package layering that madge cannot see: it follows relative imports only, so an import of
 * `@switchyard/<pkg>` between workspaces is invisible to its cycle check. Packages depend downward
 * only (docs/ARCHITECTURE.md), so each workspace's source may import exactly the packages below it;
 * its tests may also use other packages' `testing` entry points where a read-side test needs the
 * write side's fixtures (analytics-api's tests store events with @switchyard/ingest/testing).
 * A violation prints the file and the import and exits 1. Run by `npm run cycles`.
 */
const ALLOWED: Record<string, readonly string[]> = {
  events: [],
  platform: ["events"],
  gateway: ["events", "platform"],
  ingest: ["events", "platform"],
  "analytics-api": ["events", "platform", "console"],
  console: [],
  dashboards: [],
  stack: ["events", "platform", "gateway", "ingest", "analytics-api"],
  test: ["events", "platform", "gateway", "ingest", "analytics-api", "dashboards", "stack", "console"],
};
/** Extra packages a workspace's tests (and test fixtures) may import, through `/testing` only. */
const TEST_ONLY: Record<string, readonly string[]> = { "analytics-api": ["ingest"] };

const ROOT = resolve(import.meta.dirname, "..");
const IMPORT = /(?:from|import)\s*\(?\s*"@switchyard\/([a-z-]+)(\/[a-z-]+)?"/g;
const isTestFile = (path: string) => /\.(test|fixture)\.ts$|\/testing\/|test-support\.ts$/.test(path);

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

export async function layerViolations(): Promise<string[]> {
  const violations: string[] = [];
  for (const [pkg, allowed] of Object.entries(ALLOWED)) {
    for await (const file of sourceFiles(join(ROOT, pkg))) {
      const text = await readFile(file, "utf8");
      for (const [, target, subpath] of text.matchAll(IMPORT)) {
        if (target === undefined || target === pkg || allowed.includes(target)) continue;
        const testOnly = TEST_ONLY[pkg]?.includes(target) && subpath === "/testing" && isTestFile(file);
        if (!testOnly)
          violations.push(`${relative(ROOT, file)}: ${pkg} may not import @switchyard/${target}${subpath ?? ""}`);
      }
    }
  }
  return violations;
}

if (import.meta.main) {
  const violations = await layerViolations();
  for (const v of violations) console.error(v);
  console.log(violations.length === 0 ? "package layers: no upward import" : `${violations.length} upward import(s)`);
  process.exit(violations.length === 0 ? 0 : 1);
}
