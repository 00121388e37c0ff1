import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the dashboards workspace: the dashboard JSON files live directly in it. */
export const DASHBOARDS_DIR = fileURLToPath(new URL("..", import.meta.url));
export const PROVISIONING_DIR = join(DASHBOARDS_DIR, "provisioning");
/** The uid dashboards use to reference the provisioned Infinity datasource. */
export const ANALYTICS_DATASOURCE_UID = "switchyard-analytics";

export interface DashboardFile {
  file: string;
  path: string;
  json: Record<string, unknown>;
}

/** Every Grafana dashboard JSON in the workspace (the top-level *.json except package.json). */
export function loadDashboards(dir: string = DASHBOARDS_DIR): DashboardFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && f !== "package.json")
    .sort()
    .map((file) => {
      const path = join(dir, file);
      const json: unknown = JSON.parse(readFileSync(path, "utf8"));
      if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new Error(`${file}: a dashboard must be a JSON object`);
      }
      return { file, path, json: json as Record<string, unknown> };
    });
}
