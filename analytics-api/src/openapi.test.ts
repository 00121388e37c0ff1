import { openTestClickHouse, type TestClickHouse } from "@switchyard/platform/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAnalyticsApp } from "./app.ts";
import { Dimension } from "./breakdown/dimensions.ts";
import { silentLogger, testKeyStore } from "./test-support.ts";

describe("GET /openapi.json", () => {
  let db: TestClickHouse;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await openTestClickHouse();
    app = buildAnalyticsApp({ clickhouse: db.clickhouse, keyStore: testKeyStore(), logger: silentLogger() });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it("describes every route, with the parameters the zod schemas accept", async () => {
    const response = await app.inject({ method: "GET", url: "/openapi.json" });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toBe("3.1.0");
    for (const path of Object.keys(doc.paths)) {
      expect(app.hasRoute({ method: "GET", url: path.replace(/\{(\w+)\}/g, ":$1") }), path).toBe(true);
    }
    for (const route of ["/v1/analytics/breakdown", "/v1/analytics/series", "/v1/requests", "/v1/requests/export"]) {
      expect(doc.paths[route], route).toBeDefined();
    }
    const params = doc.paths["/v1/analytics/breakdown"].get.parameters as {
      name: string;
      schema: unknown;
      required: boolean;
    }[];
    const groupBy = params.find((p) => p.name === "group_by");
    expect(JSON.stringify(groupBy?.schema)).toContain(JSON.stringify(Dimension.options));
    expect(params.find((p) => p.name === "limit")?.schema).toMatchObject({ minimum: 1, maximum: 1000, default: 20 });
    expect(params.every((p) => p.required === false)).toBe(true);
    const detail = doc.paths["/v1/requests/{eventId}"].get;
    expect(detail.parameters[0]).toMatchObject({
      name: "eventId",
      in: "path",
      required: true,
      schema: { format: "uuid" },
    });
    expect(Object.keys(detail.responses["200"].content["application/json"].schema.properties)).toContain("bodies");
  });
});
