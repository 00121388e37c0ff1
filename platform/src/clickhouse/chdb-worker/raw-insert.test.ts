import { describe, expect, it } from "vitest";
import { rawInsertOf } from "./raw-insert.ts";

describe("rawInsertOf", () => {
  it("takes apart the plain INSERT shapes ingest and @clickhouse/client send", () => {
    expect(
      rawInsertOf("INSERT INTO requests (event_id, occurred_at) SETTINGS async_insert = 0 FORMAT JSONCompactEachRow"),
    ).toEqual({
      table: "requests",
      columns: ["event_id", "occurred_at"],
      settings: { async_insert: 0 },
      format: "JSONCompactEachRow",
    });
    expect(rawInsertOf("INSERT INTO db.t FORMAT JSONEachRow")).toEqual({ table: "db.t", format: "JSONEachRow" });
  });

  it("leaves every other statement to the text path", () => {
    for (const query of [
      "INSERT INTO t SELECT 1",
      "INSERT INTO t (a) VALUES (1)",
      "INSERT INTO t (a) SETTINGS x = 'y' FORMAT JSONEachRow",
      "INSERT INTO t (a) FORMAT Native",
      "INSERT INTO t (a) FORMAT JSONEachRow; DROP TABLE t",
      "SELECT 1",
    ]) {
      expect(rawInsertOf(query)).toBeNull();
    }
  });
});
