// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana macro syntax (${__from}, ${var:csv}) is what these tests are about.
import { describe, expect, it } from "vitest";
import { ANALYTICS_DATASOURCE_UID, loadDashboards } from "./files.ts";
import {
  DashboardFormatError,
  extractQueries,
  INFINITY_PLUGIN_ID,
  referencedVariables,
  resolveUrl,
  variableNames,
} from "./panel-queries.ts";

const FROM = "2026-03-01T00:00:00.000Z";
const TO = "2026-03-02T12:30:00.000Z";

describe("resolveUrl", () => {
  it("formats the time range macros like Grafana", () => {
    expect(resolveUrl("?a=${__from:date:iso}&b=${__to:date:iso}", { from: FROM, to: TO })).toBe(`?a=${FROM}&b=${TO}`);
    expect(resolveUrl("?a=${__from}&b=$__to&c=${__to:date:seconds}", { from: FROM, to: TO })).toBe(
      `?a=${Date.parse(FROM)}&b=${Date.parse(TO)}&c=${Date.parse(TO) / 1000}`,
    );
  });

  it("substitutes $var, ${var}, ${var:format} and [[var]]", () => {
    const variables = { tenant: "acme", interval: "hour", many: ["a", "b"] };
    const opts = { from: FROM, to: TO, variables };
    expect(resolveUrl("/x?t=$tenant&i=${interval}&u=[[tenant]]", opts)).toBe("/x?t=acme&i=hour&u=acme");
    expect(resolveUrl("/x?t=${many:csv}", opts)).toBe("/x?t=a,b");
    expect(resolveUrl("/x?t=${many}", opts), "Infinity's default format is glob").toBe("/x?t={a,b}");
    expect(resolveUrl("/x?t=${many:pipe}", opts)).toBe("/x?t=a|b");
    expect(resolveUrl("/x?${many:queryparam}", opts)).toBe("/x?var-many=a&var-many=b");
    expect(resolveUrl("/x?t=${tenant:percentencode}", { ...opts, variables: { tenant: "a b" } })).toBe("/x?t=a%20b");
  });

  it("fails loudly on a variable without a value or an unknown format", () => {
    expect(() => resolveUrl("/x?t=$tenat", { from: FROM, to: TO, variables: { tenant: "a" } })).toThrow(
      DashboardFormatError,
    );
    expect(() => resolveUrl("/x?t=${tenant:nope}", { from: FROM, to: TO, variables: { tenant: "a" } })).toThrow(
      /unsupported variable format/,
    );
    expect(() => resolveUrl("/x", { from: "yesterday", to: TO })).toThrow(/invalid from/);
  });

  it("prefixes the datasource URL and re-encodes the query string like the Infinity backend", () => {
    const url = resolveUrl("/v1/analytics/costs?to=${__to:date:iso}&from=${__from:date:iso}&tenant_id=${t:csv}", {
      from: FROM,
      to: TO,
      variables: { t: ["acme", "globex"] },
      baseUrl: "http://analytics-api:8788/",
    });
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname).toBe("http://analytics-api:8788/v1/analytics/costs");
    expect([...parsed.searchParams.keys()]).toEqual(["from", "tenant_id", "to"]);
    expect(parsed.searchParams.get("tenant_id")).toBe("acme,globex");
    expect(parsed.searchParams.get("from")).toBe(FROM);
    // Already absolute under the base: not prefixed twice.
    expect(resolveUrl("http://h:1/a?x=1", { from: FROM, to: TO, baseUrl: "http://h:1" })).toBe("http://h:1/a?x=1");
  });
});

describe("extractQueries", () => {
  const dashboard = {
    templating: {
      list: [
        {
          name: "tenant",
          type: "query",
          datasource: { type: INFINITY_PLUGIN_ID, uid: "ds" },
          query: { queryType: "infinity", infinityQuery: { source: "url", url: "/tenants", root_selector: "data" } },
        },
        { name: "interval", type: "custom", query: "hour,day" },
      ],
    },
    panels: [
      {
        id: 1,
        title: "stat",
        datasource: { type: INFINITY_PLUGIN_ID, uid: "ds" },
        targets: [{ refId: "A", source: "url", url: "/a?t=$tenant", columns: [{ selector: "key", text: "k" }] }],
      },
      {
        id: 2,
        type: "row",
        title: "collapsed",
        panels: [{ id: 3, title: "nested", targets: [{ refId: "B", url: "/b", datasource: { uid: "other" } }] }],
      },
      { id: 4, title: "text panel" },
      { id: 5, title: "inline", targets: [{ refId: "C", source: "inline", data: "[]" }] },
    ],
  };

  it("finds panel targets (nested rows included) and query variables", () => {
    const queries = extractQueries(dashboard);
    expect(queries.map((q) => [q.kind, q.id, q.url, q.datasource.uid])).toEqual([
      ["panel", "1", "/a?t=$tenant", "ds"],
      ["panel", "3", "/b", "other"],
      ["variable", "tenant", "/tenants", "ds"],
    ]);
    expect(queries[0]!.columns).toEqual([{ selector: "key", text: "k", type: "string" }]);
    expect(variableNames(dashboard)).toEqual(["tenant", "interval"]);
    expect(referencedVariables("/x?a=${__from:date:iso}&t=${tenant:csv}&i=$interval")).toEqual([
      "__from",
      "tenant",
      "interval",
    ]);
  });

  it("rejects a non-object dashboard", () => {
    expect(() => extractQueries([])).toThrow(DashboardFormatError);
  });
});

describe("the repository's dashboards", () => {
  const dashboards = loadDashboards();

  it("exist and query only the provisioned analytics datasource", () => {
    expect(dashboards.map((d) => d.file)).toContain("cost-per-tenant.json");
    for (const { file, json } of dashboards) {
      const queries = extractQueries(json);
      expect(queries.length, file).toBeGreaterThan(0);
      for (const q of queries) {
        expect(q.datasource, `${file} ${q.kind} ${q.title}`).toEqual({
          type: INFINITY_PLUGIN_ID,
          uid: ANALYTICS_DATASOURCE_UID,
        });
      }
    }
  });
});
