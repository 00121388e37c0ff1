// Grafana dashboards, live: a real analytics API over an embedded ClickHouse, filled with RequestEvents
// through the ingest path, answers every panel's resolved URL with rows carrying the columns the panel
// reads (dashboards.test.ts checks the JSON statically).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAnalyticsApp } from "@switchyard/analytics-api";
import { extractQueries, loadDashboards, resolveUrl, type VariableValue } from "@switchyard/dashboards";
import { encodeEvent, FeedbackEvent, newEventId, RequestEvent, Topics } from "@switchyard/events";
import { type Ingest, startIngest } from "@switchyard/ingest";
import { makeRequestEvent, openTestClickHouse, type TestClickHouse, waitForCaughtUp } from "@switchyard/ingest/testing";
import { createLogger, EmbeddedEventBus, KeyStore, sha256Hex } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dashboards = loadDashboards();

const FROM = "2026-03-01T00:00:00.000Z";
const TO = "2026-03-02T00:00:00.000Z";
const ADMIN_KEY = "sk-dash-admin";
const ACME_KEY = "sk-dash-acme";
const INGEST_GROUP = "dashboards-test-ingest";

/**
 * Three tenants, two providers/models, named and anonymous users, spread over several hours; some with a
 * team in their metadata, some answered from the cache, some rendered from a prompt template.
 */
function seedEvents(): RequestEvent[] {
  const spec: [tenant: string, hour: number, model: string, provider: string, user: string | null, nano: number][] = [
    ["acme", 1, "gpt-4o-mini", "openai", "alice", 1_200_000],
    ["acme", 1, "claude-sonnet-4", "anthropic", "bob", 8_500_000],
    ["acme", 5, "gpt-4o-mini", "openai", null, 300_000],
    ["globex", 2, "gpt-4o", "openai", "carol", 25_000_000],
    ["globex", 9, "claude-sonnet-4", "anthropic", "carol", 4_000_000],
    ["initech", 14, "gpt-4o-mini", "openai", "peter", 700_000],
    ["initech", 23, "gpt-4o", "openai", "milton", 2_100_000],
  ];
  return spec.map(([tenant_id, hour, model, provider, user, cost_nano_usd], i) =>
    makeRequestEvent({
      metadata: { ...(user ? { _user: user } : {}), team: i % 2 === 0 ? "search" : "ads" },
      cache_status: i % 3 === 0 ? "HIT" : "MISS",
      cost_saved_nano_usd: i % 3 === 0 ? 500_000 : 0,
      prompt_id: i % 2 === 0 ? "pp-welcome" : null,
      prompt_version: i % 2 === 0 ? 1 + (i % 4 === 0 ? 1 : 0) : null,
      tenant_id,
      occurred_at: `2026-03-01T${String(hour).padStart(2, "0")}:17:00.000Z`,
      model_requested: model,
      model_used: model,
      provider,
      user,
      cost_nano_usd,
      cost_breakdown: { input: cost_nano_usd - 1000, cached_input: 0, cache_write: 0, output: 1000, reasoning: 0 },
      usage: {
        input_tokens: 1000,
        output_tokens: 200,
        cache_read_tokens: 100,
        cache_write_tokens: 0,
        reasoning_tokens: 50,
        estimated: false,
      },
    }),
  );
}

/** The values Grafana offers for each non-query variable (custom: its comma-separated options). */
function customOptions(json: Record<string, unknown>): Record<string, string[]> {
  const list = (json.templating as { list: { name: string; type: string; query?: unknown }[] }).list;
  return Object.fromEntries(
    list
      .filter((v) => v.type === "custom" && typeof v.query === "string")
      .map((v) => [v.name, (v.query as string).split(",").map((o) => o.trim())]),
  );
}

interface ApiBody {
  data?: Record<string, unknown>[];
  error?: unknown;
}

describe("dashboards against a running analytics API", () => {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent", name: "dashboards-test" });
  const events = seedEvents();
  /** Feedback on the first four requests (thumbs up and down). */
  const feedback: FeedbackEvent[] = events.slice(0, 4).map((e, i) => ({
    event_id: newEventId(),
    schema_version: 1,
    occurred_at: e.occurred_at,
    tenant_id: e.tenant_id,
    trace_id: e.trace_id,
    value: i % 2 === 0 ? 1 : -1,
    weight: 1,
    metadata: {},
  }));
  let db: TestClickHouse;
  let logDir: string;
  let bus: EmbeddedEventBus;
  let ingest: Ingest;
  let app: FastifyInstance;
  let baseUrl: string;

  beforeAll(async () => {
    db = await openTestClickHouse();
    logDir = await mkdtemp(join(tmpdir(), "switchyard-dashboards-log-"));
    bus = await EmbeddedEventBus.open({ dataDir: logDir, logger, pollIntervalMs: 50 });
    // The ingest path the deployment uses: events on llm.requests.v1 → consumer → ClickHouse (migrated by ingest).
    ingest = await startIngest({
      bus,
      clickhouse: db.clickhouse,
      logger,
      config: { groupId: INGEST_GROUP, flushIntervalMs: 5 },
    });
    await bus.publish(
      Topics.requests,
      events.map((e) => ({ key: e.trace_id, value: encodeEvent(RequestEvent, e) })),
    );
    await bus.publish(
      Topics.feedback,
      feedback.map((f) => ({ key: f.trace_id, value: encodeEvent(FeedbackEvent, f) })),
    );
    await waitForCaughtUp(bus, INGEST_GROUP, [Topics.requests, Topics.feedback]);

    const keyStore = new KeyStore(
      [
        { id: "k-admin", tenant_id: "ops", key_sha256: sha256Hex(ADMIN_KEY), role: "admin", revoked: false },
        { id: "k-acme", tenant_id: "acme", key_sha256: sha256Hex(ACME_KEY), role: "tenant", revoked: false },
      ],
      "default",
    );
    app = buildAnalyticsApp({ clickhouse: db.clickhouse, keyStore, logger });
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    baseUrl = address;
  });

  afterAll(async () => {
    await app?.close();
    await ingest?.stop();
    await bus?.close();
    if (logDir) await rm(logDir, { recursive: true, force: true });
    await db?.dispose();
  });

  /** GET over HTTP with the header the provisioned datasource sends (auth_method: bearerToken). */
  async function get(url: string, key: string): Promise<{ status: number; body: ApiBody }> {
    const response = await fetch(url, { headers: { authorization: `Bearer ${key}`, accept: "application/json" } });
    return { status: response.status, body: (await response.json()) as ApiBody };
  }

  /** What the tenant variable lists for a key (its query resolved like Grafana, run like Infinity). */
  async function tenantOptions(json: Record<string, unknown>, key: string): Promise<string[]> {
    const query = extractQueries(json).find((q) => q.kind === "variable" && q.id === "tenant");
    expect(query, "tenant variable query").toBeDefined();
    const { status, body } = await get(resolveUrl(query!.url, { from: FROM, to: TO, baseUrl }), key);
    expect(status, JSON.stringify(body)).toBe(200);
    const selector = query!.columns[0]!.selector;
    return (body.data ?? []).map((row) => String(row[selector]));
  }

  /**
   * The values Grafana gives the dashboard's other variables: a query variable lists the API's answer
   * (its regex applied, sorted like `sort: 1`), all of it when it offers All, else the first option; a
   * textbox has its default.
   */
  async function otherVariables(
    json: Record<string, unknown>,
    key: string,
    tenant: VariableValue,
  ): Promise<Record<string, VariableValue>> {
    const list = (
      json.templating as {
        list: { name: string; type: string; query?: unknown; includeAll?: boolean; regex?: string }[];
      }
    ).list;
    const out: Record<string, VariableValue> = {};
    for (const v of list) {
      if (v.type === "textbox") out[v.name] = String(v.query ?? "");
      if (v.type !== "query" || v.name === "tenant") continue;
      const query = extractQueries(json).find((q) => q.kind === "variable" && q.id === v.name)!;
      const url = resolveUrl(query.url, { from: FROM, to: TO, baseUrl, variables: { tenant } });
      const { status, body } = await get(url, key);
      expect(status, `variable ${v.name}: GET ${url} → ${JSON.stringify(body)}`).toBe(200);
      const pattern = v.regex ? new RegExp(v.regex.replace(/^\/(.*)\/$/, "$1")) : null;
      const options = (body.data ?? [])
        .map((row) => String(row[query.columns[0]!.selector] ?? ""))
        .filter((o) => pattern === null || pattern.test(o))
        .sort();
      expect(options.length, `variable ${v.name} lists options for tenant ${String(tenant)}`).toBeGreaterThan(0);
      out[v.name] = v.includeAll ? options : options[0]!;
    }
    return out;
  }

  for (const { file, json } of dashboards) {
    describe(file, () => {
      const panelQueries = extractQueries(json).filter((q) => q.kind === "panel");
      const custom = customOptions(json);

      it("lists every tenant for an admin key and only its own for a tenant key", async () => {
        expect(new Set(await tenantOptions(json, ADMIN_KEY))).toEqual(new Set(["acme", "globex", "initech"]));
        expect(await tenantOptions(json, ACME_KEY)).toEqual(["acme"]);
      });

      /** Every combination of the custom variables' options (e.g. interval = hour, day). */
      function customCombinations(): Record<string, string>[] {
        let combos: Record<string, string>[] = [{}];
        for (const [name, options] of Object.entries(custom)) {
          combos = combos.flatMap((c) => options.map((o) => ({ ...c, [name]: o })));
        }
        return combos;
      }

      async function runPanels(key: string, tenant: VariableValue, expectTenants: readonly string[]) {
        const others = await otherVariables(json, key, tenant);
        for (const q of panelQueries) {
          for (const combo of customCombinations()) {
            const url = resolveUrl(q.url, { from: FROM, to: TO, baseUrl, variables: { ...others, ...combo, tenant } });
            const where = `panel "${q.title}" ${JSON.stringify(combo)} GET ${url}`;
            const { status, body } = await get(url, key);
            expect(status, `${where} → ${JSON.stringify(body)}`).toBe(200);
            expect(body.data?.length, `${where} returned no data`).toBeGreaterThan(0);
            for (const row of body.data!) {
              for (const c of q.columns) expect(row, `${where}: column ${c.selector}`).toHaveProperty(c.selector);
            }
            if (/group_by=tenant/.test(q.url)) {
              for (const row of body.data!) expect(expectTenants, where).toContain(row.key);
            }
          }
        }
      }

      it("returns data for every panel with a single tenant selected", async () => {
        for (const tenant of ["acme", "globex", "initech"]) await runPanels(ADMIN_KEY, tenant, [tenant]);
      });

      it("returns data for every panel with All tenants selected (admin key)", async () => {
        const all = await tenantOptions(json, ADMIN_KEY);
        // All (and a multi-selection) reach the API as tenant_id=a,b,c: the contract in dashboards/README.md.
        const probe = resolveUrl(
          `/v1/analytics/costs?from=${FROM}&to=${TO}&group_by=tenant&tenant_id=${all.join(",")}`,
          {
            from: FROM,
            to: TO,
            baseUrl,
          },
        );
        const { body } = await get(probe, ADMIN_KEY);
        expect(
          (body.data ?? []).map((r) => r.key).sort(),
          "analytics API must read tenant_id as a comma-separated list (dashboards/README.md, tenant filter contract)",
        ).toEqual([...all].sort());
        await runPanels(ADMIN_KEY, all, all);
      });

      it("returns data for every panel with All selected under a tenant key", async () => {
        const all = await tenantOptions(json, ACME_KEY);
        await runPanels(ACME_KEY, all, ["acme"]);
      });
    });
  }

  it("shows the feedback the events carry on the prompts and feedback dashboard", async () => {
    const json = dashboards.find((d) => d.file === "prompts-feedback.json")!.json;
    const stat = extractQueries(json).find((q) => q.title === "Feedback")!;
    const url = resolveUrl(stat.url, {
      from: FROM,
      to: TO,
      baseUrl,
      variables: { tenant: ["acme", "globex", "initech"], model: ["claude-sonnet-4", "gpt-4o", "gpt-4o-mini"] },
    });
    const { body } = await get(url, ADMIN_KEY);
    expect(body.data?.[0]?.feedback_count).toBe(feedback.length);
  });

  it("shows the same total cost the events carry", async () => {
    const json = dashboards.find((d) => d.file === "cost-per-tenant.json")!.json;
    const stat = extractQueries(json).find((q) => q.title === "Total cost")!;
    const column = stat.columns.find((c) => c.type === "number")!.selector;
    const url = resolveUrl(stat.url, {
      from: FROM,
      to: TO,
      baseUrl,
      variables: { tenant: "globex", interval: "hour" },
    });
    const { body } = await get(url, ADMIN_KEY);
    const shown = (body.data ?? []).reduce((sum, row) => sum + Number(row[column]), 0);
    const expected = events.filter((e) => e.tenant_id === "globex").reduce((sum, e) => sum + e.cost_nano_usd, 0) / 1e9;
    expect(shown).toBeCloseTo(expected, 9);
  });
});
