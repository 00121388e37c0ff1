import { describe, expect, it } from "vitest";
import { BusEnv, busConfigFrom } from "./bus-config.ts";
import { parseEnv } from "./env-helpers.ts";

const HOUR = 60 * 60 * 1000;

describe("embedded log settings from the environment", () => {
  it("defaults to 7 days of retention, no size limit, 64 MiB segments", () => {
    const config = busConfigFrom(parseEnv(BusEnv, {}), "/data");
    expect(config).toEqual({
      kind: "embedded",
      dir: "/data/log",
      partitions: 1,
      log: {
        segmentBytes: 64 * 1024 * 1024,
        retention: {
          maxAgeMs: 168 * HOUR,
          maxBytes: null,
          groupExpiryMs: 168 * HOUR,
          checkIntervalMs: 60_000,
          compactMinRecords: 1000,
        },
      },
    });
  });

  it("reads every EMBEDDED_LOG_* variable; 0 turns a limit off", () => {
    const env = parseEnv(BusEnv, {
      EMBEDDED_LOG_RETENTION_HOURS: "0",
      EMBEDDED_LOG_RETENTION_BYTES: "10737418240",
      EMBEDDED_LOG_SEGMENT_BYTES: "1048576",
      EMBEDDED_LOG_GROUP_EXPIRY_HOURS: "0.5",
      EMBEDDED_LOG_RETENTION_CHECK_SECONDS: "5",
      EMBEDDED_LOG_COMPACT_MIN_RECORDS: "10",
    });
    const config = busConfigFrom(env, "/data");
    expect(config.kind === "embedded" && config.log).toEqual({
      segmentBytes: 1048576,
      retention: {
        maxAgeMs: null,
        maxBytes: 10737418240,
        groupExpiryMs: HOUR / 2,
        checkIntervalMs: 5000,
        compactMinRecords: 10,
      },
    });
  });

  it("names the variable when a value is invalid", () => {
    expect(() => parseEnv(BusEnv, { EMBEDDED_LOG_RETENTION_HOURS: "-1", EMBEDDED_LOG_SEGMENT_BYTES: "12" })).toThrow(
      /EMBEDDED_LOG_RETENTION_HOURS[\s\S]*EMBEDDED_LOG_SEGMENT_BYTES|EMBEDDED_LOG_SEGMENT_BYTES[\s\S]*EMBEDDED_LOG_RETENTION_HOURS/,
    );
  });
});
