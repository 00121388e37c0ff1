import { makeRequestEvent, storeRequestEvents } from "@switchyard/ingest/testing";
import type { TestClickHouse } from "@switchyard/platform/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchQuery } from "./repositories/request-log-repository.ts";
import { analyticsOver, TEST_KEYS } from "./test-support.ts";

const NOW = new Date("2025-06-02T00:00:00.000Z");
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const WINDOW = "from=2025-06-01T00:00:00Z&to=2025-06-02T00:00:00Z";

// 25 acme requests one minute apart (every 5th an error, odd ones in team ads), 3 of globex.
const acme = Array.from({ length: 25 }, (_, i) =>
  makeRequestEvent({
    tenant_id: "acme",
    occurred_at: new Date(Date.UTC(2025, 5, 1, 10, i)).toISOString(),
    status_code: i % 5 === 0 ? 429 : 200,
    metadata: { team: i % 2 === 1 ? "ads" : "search", note: i === 3 ? '=HYPERLINK("x"), "quoted"' : "plain" },
    user: i === 3 ? "-danger" : "alice",
  }),
);
// Bodies have a 30-day TTL (migration 003): this one is recent, so its bodies are kept.
const detailed = makeRequestEvent({
  tenant_id: "acme",
  trace_id: "trace-with-bodies",
  occurred_at: new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000).toISOString(),
  bodies: { request: '{"messages":[{"role":"user","content":"hi"}]}', response: '{"choices":[]}', truncated: true },
  guardrail_hooks: [
    {
      hook_id: "pii",
      hook_type: "before_request",
      verdict: true,
      deny: false,
      transformed: true,
      async: false,
      latency_ms: 2,
    },
  ],
  limit_checks: [{ limit_id: "budget-1", kind: "budget", metric: "cost", allowed: true }],
  prompt_id: "pp-1",
  prompt_version: 2,
  prompt_label: "prod",
  cache_key: "abc123",
});
const globex = Array.from({ length: 3 }, (_, i) =>
  makeRequestEvent({ tenant_id: "globex", occurred_at: new Date(Date.UTC(2025, 5, 1, 11, i)).toISOString() }),
);

describe("request log", () => {
  let db: TestClickHouse;
  let app: FastifyInstance;

  beforeAll(async () => {
    ({ db, app } = await analyticsOver([...acme, detailed, ...globex], NOW));
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const get = (url: string, key: string = TEST_KEYS.acme) => app.inject({ method: "GET", url, headers: bearer(key) });

  it("fills an all-tenant page past a newest hour that holds fewer rows than the limit, newest first", async () => {
    const url = "/v1/requests?from=2025-06-01T00:00:00Z&to=2025-06-01T11:30:00Z&limit=5";
    const body = (await get(url, TEST_KEYS.admin)).json();
    expect(body.data.map((r: { tenant_id: string; occurred_at: string }) => [r.tenant_id, r.occurred_at])).toEqual([
      ["globex", "2025-06-01T11:02:00.000Z"],
      ["globex", "2025-06-01T11:01:00.000Z"],
      ["globex", "2025-06-01T11:00:00.000Z"],
      ["acme", "2025-06-01T10:24:00.000Z"],
      ["acme", "2025-06-01T10:23:00.000Z"],
    ]);
    const next = (
      await get(`/v1/requests?limit=5&cursor=${encodeURIComponent(body.next_cursor)}`, TEST_KEYS.admin)
    ).json();
    expect(next.data.map((r: { occurred_at: string }) => r.occurred_at)[0]).toBe("2025-06-01T10:22:00.000Z");
  });

  it("pages through every request newest first with cursors, none twice", async () => {
    const seen: string[] = [];
    let url = `/v1/requests?${WINDOW}&limit=10`;
    for (let page = 0; page < 10; page++) {
      const body = (await get(url)).json();
      seen.push(...body.data.map((r: { event_id: string }) => r.event_id));
      if (body.next_cursor === null) break;
      url = `/v1/requests?limit=10&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    const expected = [...acme].reverse().map((e) => e.event_id);
    expect(seen).toEqual(expected);
  });

  it("reads one tenant's log backwards along the sort key, stopping at the page (EXPLAIN)", async () => {
    const window = { from: new Date("2025-06-01T00:00:00Z"), to: new Date("2025-06-02T00:00:00Z") };
    for (const after of [null, { at: "2025-06-01T10:10:00.000Z", id: acme[10]!.event_id }]) {
      const filter = { window, tenantIds: ["acme"], dimensions: [], metadata: [] };
      const { sql, params } = searchQuery(filter, 10, after);
      const result = await db.clickhouse.client.query({
        query: `EXPLAIN actions = 1 ${sql}`,
        query_params: params,
        format: "JSONEachRow",
      });
      const plan = (await result.json<{ explain: string }>()).map((l) => l.explain).join("\n");
      expect(plan).toMatch(/Read type: InReverseOrder/);
    }
  });

  it("filters by status, metadata and dimension", async () => {
    const body = (await get(`/v1/requests?${WINDOW}&status=error&metadata.team=ads&model=gpt-4o-mini`)).json();
    expect(body.data.map((r: { event_id: string }) => r.event_id)).toEqual([acme[15]!.event_id, acme[5]!.event_id]);
    expect(body.data[0]).toMatchObject({ status_code: 429, tenant_id: "acme", metadata: { team: "ads" } });
  });

  it("refuses a tampered cursor and a cursor reused with other filters", async () => {
    const first = (await get(`/v1/requests?${WINDOW}&limit=5`)).json();
    const [payload, signature] = first.next_cursor.split(".");
    const state = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...state, at: "2030-01-01T00:00:00.000Z" })).toString("base64url");
    for (const cursor of [`${forged}.${signature}`, `${payload}.AAAA`, "garbage", `${payload}.${signature}.x`]) {
      const response = await get(`/v1/requests?cursor=${encodeURIComponent(cursor)}`);
      expect(response.statusCode, cursor).toBe(400);
      expect(response.json().error).toMatchObject({ code: "invalid_parameter", param: "cursor" });
    }
    const otherQuery = await get(`/v1/requests?status=error&cursor=${encodeURIComponent(first.next_cursor)}`);
    expect(otherQuery.json().error.param).toBe("cursor");
    // Another tenant presenting acme's cursor: its scope differs, so the cursor is refused.
    const otherTenant = await get(`/v1/requests?cursor=${encodeURIComponent(first.next_cursor)}`, TEST_KEYS.globex);
    expect(otherTenant.statusCode).toBe(400);
  });

  it("shows a request's detail with bodies, hooks, limits, prompt and cost breakdown", async () => {
    const response = await get(`/v1/requests/${detailed.event_id}`);
    expect(response.statusCode).toBe(200);
    const { ingested_at, ...record } = response.json();
    expect(record).toEqual(detailed);
    expect(typeof ingested_at).toBe("string");
    const trace = (await get("/v1/traces/trace-with-bodies")).json();
    expect(trace.requests[0].bodies).toEqual(detailed.bodies);
  });

  it("drops bodies past their retention and keeps the request", async () => {
    const old = makeRequestEvent({
      tenant_id: "acme",
      occurred_at: "2025-05-01T08:00:00.000Z",
      bodies: { request: "old prompt", response: "old answer", truncated: false },
    });
    await storeRequestEvents(db.clickhouse.client, [old], 1000);
    // TTLs apply when parts merge; FINAL forces the merge the background would do.
    await db.clickhouse.client.command({ query: "OPTIMIZE TABLE requests FINAL" });
    const record = (await get(`/v1/requests/${old.event_id}`)).json();
    expect(record).toMatchObject({ event_id: old.event_id, bodies: null, cost_nano_usd: old.cost_nano_usd });
    const kept = (await get(`/v1/requests/${detailed.event_id}`)).json();
    expect(kept.bodies).toEqual(detailed.bodies);
  });

  it("hides other tenants' requests: 404 as for a missing one, and never in a search or export", async () => {
    expect((await get(`/v1/requests/${detailed.event_id}`, TEST_KEYS.globex)).statusCode).toBe(404);
    expect((await get(`/v1/requests/${globex[0]!.event_id}`)).json().error.code).toBe("request_not_found");
    const search = (await get(`/v1/requests?${WINDOW}&limit=500`, TEST_KEYS.globex)).json();
    expect(search.data).toHaveLength(3);
    const exported = (await get(`/v1/requests/export?${WINDOW}`, TEST_KEYS.globex)).body.trim().split("\n");
    expect(exported.map((l) => JSON.parse(l).tenant_id)).toEqual(["globex", "globex", "globex"]);
    expect((await get(`/v1/requests?tenant_id=acme`, TEST_KEYS.globex)).statusCode).toBe(403);
  });

  it("exports the filtered log as JSONL and as CSV, without a page cap", async () => {
    const jsonl = await get(`/v1/requests/export?${WINDOW}`);
    expect(jsonl.headers["content-type"]).toContain("application/x-ndjson");
    const lines = jsonl.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(25);
    expect(lines[0].event_id).toBe(acme[24]!.event_id);
    const csv = await get(`/v1/requests/export?${WINDOW}&format=csv&user=-danger`);
    expect(csv.headers["content-type"]).toContain("text/csv");
    const [header, row, end] = csv.body.split("\r\n");
    expect(header?.split(",").slice(0, 3)).toEqual(["event_id", "occurred_at", "tenant_id"]);
    expect(row).toContain(`${acme[3]!.event_id},2025-06-01T10:03:00.000Z,acme`);
    // Formula-looking values are defused, quotes doubled, JSON quoted.
    expect(row).toContain(",'-danger,");
    expect(row).toContain('"{""team"":""ads"",""note"":""=HYPERLINK(\\""x\\""), \\""quoted\\""""}"');
    expect(end).toBe("");
  });

  it.each([
    ["/v1/requests?limit=0", "limit"],
    ["/v1/requests?limit=501", "limit"],
    ["/v1/requests?colour=red", "colour"],
    ["/v1/requests?metadata.a%20b=1", "metadata.a b"],
    ["/v1/requests/export?format=xml", "format"],
    ["/v1/requests/not-a-uuid", "eventId"],
  ])("answers 400 naming the parameter for %s", async (url, param) => {
    const response = await get(url);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: "invalid_parameter", param });
  });

  it("treats SQL in every search and export parameter as a plain value", async () => {
    const injection = encodeURIComponent("x' OR 1=1 --");
    for (const param of [
      "user",
      "model",
      "provider",
      "api_key",
      "config",
      "prompt",
      "error_type",
      "cache_status",
      "metadata.team",
    ]) {
      const search = await get(`/v1/requests?${WINDOW}&${param}=${injection}`);
      expect(search.json().data, param).toEqual([]);
      expect((await get(`/v1/requests/export?${WINDOW}&${param}=${injection}`)).body, param).toBe("");
    }
    const admin = await get(`/v1/requests?${WINDOW}&tenant_id=${injection}`, TEST_KEYS.admin);
    expect(admin.json().data).toEqual([]);
  });
});
