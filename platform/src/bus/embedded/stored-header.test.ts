import { describe, expect, it } from "vitest";
import { storedHeaderJson } from "./log-segment.ts";
import { parseStoredHeader } from "./stored-header.ts";

/** The header's bytes inside a bigger buffer, as a segment holds them. */
function parsedAsStored(json: string): unknown {
  const bytes = Buffer.concat([Buffer.from("xx"), Buffer.from(json, "utf8"), Buffer.from("yy")]);
  return parseStoredHeader(bytes, 2, bytes.length - 2);
}

describe("parseStoredHeader", () => {
  it("reads every header storedHeaderJson writes exactly as JSON.parse does", () => {
    const keys = [null, "", "trace-1", 'quote " inside', "back\\slash", "new\nline", "é日本🚀", "\u0001"];
    const headerSets: Array<Record<string, string> | undefined> = [
      undefined,
      {},
      { traceparent: "00-abc-def-01" },
      { "x-é": 'v"1', b: "\\" },
    ];
    for (const key of keys) {
      for (const headers of headerSets) {
        for (const [offset, timestamp] of [
          [0, 0],
          [7, 1_765_000_000_000],
          [2 ** 53 - 1, 10],
        ] as const) {
          const json = storedHeaderJson(offset, timestamp, key, headers);
          expect(parsedAsStored(json)).toEqual(JSON.parse(json));
        }
      }
    }
  });

  it("falls back to JSON.parse for other forms, and gives undefined for bytes that are not JSON", () => {
    for (const json of [
      '{"t":1,"o":2,"k":null}',
      '{"o":1.5,"t":1,"k":null}',
      '{"o":-1,"t":1,"k":null}',
      '{"o":1,"t":1,"k":null,"h":[1]}',
      '{"o":1,"t":1,"k":null,"h":{"a":"b"},"x":1}',
      '{"o":1,"t":1,"k":"a","z":2}',
      '{"o":1,"t":12345678901234567,"k":null}',
    ]) {
      expect(parsedAsStored(json)).toEqual(JSON.parse(json));
    }
    for (const broken of [
      '{"o":01,"t":1,"k":null}',
      '{"o":1,"t":1,"k":"a',
      '{"o":1,"t":1,"k":null',
      "",
      "{",
      '{"o":1,"t":1,"k":null}}',
    ]) {
      expect(parsedAsStored(broken)).toBeUndefined();
    }
  });
});
