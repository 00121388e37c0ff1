// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana and provisioning macros are literal strings here.
// Grafana dashboards, statically: every query goes to the provisioned Infinity datasource, uses only
// known variables and parses `data` into typed columns; the five dashboards keep their uids and variables.
// dashboards-live.test.ts runs every panel against a live analytics API.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ANALYTICS_DATASOURCE_UID,
  type DashboardQuery,
  extractQueries,
  INFINITY_PLUGIN_ID,
  loadDashboards,
  PROVISIONING_DIR,
  referencedVariables,
  variableNames,
} from "@switchyard/dashboards";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  jsonData: { auth_method?: string; allowedHosts?: string[] };
  secureJsonData?: Record<string, string>;
}

const provisioned = (
  parse(readFileSync(join(PROVISIONING_DIR, "datasources/infinity.yaml"), "utf8")) as {
    datasources: ProvisionedDatasource[];
  }
).datasources;
const dashboards = loadDashboards();
const COLUMN_TYPES = new Set(["string", "number", "timestamp", "timestamp_epoch", "timestamp_epoch_s"]);

describe("provisioning", () => {
  it("provisions the Infinity datasource the dashboards reference, pointed at the analytics API", () => {
    const ds = provisioned.find((d) => d.uid === ANALYTICS_DATASOURCE_UID);
    expect(ds, `a datasource with uid ${ANALYTICS_DATASOURCE_UID}`).toBeDefined();
    expect(ds!.type).toBe(INFINITY_PLUGIN_ID);
    expect(ds!.url).toBe("${SWITCHYARD_ANALYTICS_URL}");
    // The key goes only to the analytics API, and only from the encrypted settings.
    expect(ds!.jsonData.allowedHosts).toEqual([ds!.url]);
    expect(ds!.jsonData.auth_method).toBe("bearerToken");
    expect(ds!.secureJsonData?.bearerToken).toBe("${SWITCHYARD_ANALYTICS_KEY}");
  });
});

describe.each(dashboards.map((d) => [d.file, d] as const))("dashboard %s", (_file, { json }) => {
  const queries = extractQueries(json);
  const variables = new Set(variableNames(json));

  it("has a stable uid, a title and unique panel ids", () => {
    expect(json.uid).toMatch(/^switchyard-[a-z0-9-]+$/);
    expect(typeof json.title).toBe("string");
    const ids = (json.panels as { id: number }[]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("sends every query to the provisioned Infinity datasource", () => {
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      expect(q.datasource, `${q.kind} ${q.title}`).toEqual({ type: INFINITY_PLUGIN_ID, uid: ANALYTICS_DATASOURCE_UID });
    }
  });

  it("queries relative analytics URLs over the dashboard time range with known variables only", () => {
    for (const q of queries) {
      const where = `${q.kind} "${q.title}"`;
      expect(q.url, where).toMatch(/^\/v1\/analytics\/(costs|timeseries|breakdown|series)\?/);
      expect(q.method, where).toBe("GET");
      expect(q.url, where).toContain("from=${__from:date:iso}");
      expect(q.url, where).toContain("to=${__to:date:iso}");
      for (const name of referencedVariables(q.url)) {
        if (name === "__from" || name === "__to") continue;
        expect(variables, `${where} uses $${name}`).toContain(name);
      }
    }
  });

  it("parses the `data` array into typed columns", () => {
    for (const q of queries) {
      expect(q.rootSelector, q.title).toBe("data");
      expect(q.columns.length, q.title).toBeGreaterThan(0);
      for (const c of q.columns) {
        expect(COLUMN_TYPES, `${q.title}: ${c.selector}`).toContain(c.type);
        expect(c.selector).not.toBe("");
      }
    }
  });
});

describe("cost per tenant dashboard", () => {
  const dashboard = dashboards.find((d) => d.file === "cost-per-tenant.json");
  const json = dashboard!.json;
  const panelQueries = extractQueries(json).filter((q) => q.kind === "panel");
  const panel = (title: string) => (json.panels as { title: string; type: string }[]).find((p) => p.title === title);
  const groupBy = (q: DashboardQuery) => /[?&]group_by=(\w+)/.exec(q.url)?.[1];

  it("keeps its uid", () => {
    expect(json.uid).toBe("switchyard-cost-per-tenant");
  });

  it("has the agreed panels", () => {
    expect(panel("Total cost")?.type).toBe("stat");
    expect(["barchart", "table"]).toContain(panel("Cost per tenant")?.type);
    expect(panel("Cost over time per tenant")?.type).toBe("timeseries");
    expect(panel("Requests and tokens per tenant")).toBeDefined();
    expect(panel("Cost per model")).toBeDefined();
    expect(panel("Top 20 users by cost")?.type).toBe("table");
    const over = panelQueries.find((q) => q.title === "Cost over time per tenant");
    expect(over?.url).toMatch(/^\/v1\/analytics\/timeseries\?/);
    expect(over?.format).toBe("timeseries");
    expect(new Set(panelQueries.map(groupBy))).toEqual(new Set(["tenant", "model", "provider", "user"]));
  });

  it("filters every panel by the tenant variable, which lists tenants from the API with All", () => {
    for (const q of panelQueries) expect(q.url, q.title).toContain("tenant_id=${tenant:csv}");
    const tenant = (json.templating as { list: Record<string, unknown>[] }).list.find((v) => v.name === "tenant");
    expect(tenant).toMatchObject({ type: "query", includeAll: true });
    // An empty custom all-value makes Grafana expand All to the listed tenants (see README).
    expect(tenant?.allValue ?? "").toBe("");
    const variableQuery = extractQueries(json).find((q) => q.kind === "variable" && q.id === "tenant");
    expect(variableQuery?.url).toMatch(/^\/v1\/analytics\/costs\?.*group_by=tenant/);
  });
});

describe("the five Switchyard dashboards", () => {
  const FIVE = {
    "overview.json": "switchyard-overview",
    "cost.json": "switchyard-cost",
    "latency-errors.json": "switchyard-latency-errors",
    "cache-guardrails.json": "switchyard-cache-guardrails",
    "prompts-feedback.json": "switchyard-prompts-feedback",
  };

  it.each(Object.entries(FIVE))("%s keeps uid %s and wires tenant, model, user and metadata key", (file, uid) => {
    const json = dashboards.find((d) => d.file === file)?.json;
    expect(json, file).toBeDefined();
    expect(json!.uid).toBe(uid);
    expect(variableNames(json)).toEqual(
      expect.arrayContaining(["tenant", "model", "user", "metadata_key", "interval"]),
    );
    const panels = extractQueries(json).filter((q) => q.kind === "panel");
    for (const q of panels) {
      expect(q.url, q.title).toContain("tenant_id=${tenant:csv}");
      expect(q.url, q.title).toContain("model=${model:csv}");
    }
    const uses = (name: string) => panels.some((q) => referencedVariables(q.url).includes(name));
    expect(uses("user"), "a panel filtered by $user").toBe(true);
    expect(uses("metadata_key"), "a panel grouped by $metadata_key").toBe(true);
  });
});
