import { describe, expect, it } from "vitest";
import { engineSettings, SessionSettings } from "./session-settings.ts";

describe("SessionSettings", () => {
  it("issues no SET while statements want what the session holds", () => {
    const session = new SessionSettings({ max_threads: 1, max_result_rows: 1000 });
    expect(session.baselineStatement()).toBe("SET max_threads = 1, max_result_rows = 1000");
    expect(session.statementFor({ max_threads: 1, max_result_rows: 1000 })).toBeNull();
  });

  it("sets an override, then restores the baseline and resets what only the override set", () => {
    const session = new SessionSettings({ max_result_rows: 1000 });
    const wanted = { max_result_rows: "0", join_use_nulls: true };
    expect(session.statementFor(wanted)).toBe("SET max_result_rows = '0', join_use_nulls = 1");
    session.applied(wanted);
    expect(session.statementFor({ max_result_rows: 1000 })).toBe(
      "SET max_result_rows = 1000, join_use_nulls = DEFAULT",
    );
  });

  it("quotes string values and drops HTTP-only settings", () => {
    const settings = engineSettings({ wait_end_of_query: 1, default_format: "JSON", log_comment: "it's" });
    expect(settings).toEqual({ log_comment: "it's" });
    expect(new SessionSettings({}).statementFor(settings)).toBe("SET log_comment = 'it''s'");
  });

  it("rejects a setting name that is not an identifier", () => {
    expect(() => engineSettings({ "x = 1; DROP TABLE t": 1 })).toThrow(/invalid setting name/);
  });
});
