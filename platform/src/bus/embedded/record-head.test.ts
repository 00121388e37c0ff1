import { describe, expect, it } from "vitest";
import { encodeFrameHead } from "../record-frame.ts";
import { storedHeaderJson, storedRecordHead } from "./log-segment.ts";

// storedRecordHead builds a plain-keyed record's head as ASCII; every record's head must still be
// byte for byte what encodeFrameHead(storedHeaderJson(…)) gives (readers and the spool share the format).
describe("storedRecordHead", () => {
  const value = Buffer.from('{"event_id":"x","bodies":{"request":"{\\"a\\":1}"}}');
  const keys: (string | null)[] = [
    null,
    "",
    "0198c2a4-7b1e-7c3a-9f00-123456789abc",
    "trace with spaces ~!#$%&'()*+,-./:;<=>?@[]^_`{|}",
    'quote"inside',
    "back\\slash",
    "tab\tand\nnewline",
    "\u007f del",
    "kéy",
    "emoji 😀",
    "lone \ud800 surrogate",
  ];
  const headerSets: (Record<string, string> | undefined)[] = [
    undefined,
    {},
    { traceparent: "00-abc-def-01", "x-ü": "ß" },
  ];

  it("gives encodeFrameHead's bytes for every key and header form", () => {
    for (const key of keys) {
      for (const headers of headerSets) {
        for (const [offset, timestamp] of [
          [0, 0],
          [41, 1_765_000_000_123],
          [Number.MAX_SAFE_INTEGER, 1],
        ] as const) {
          const expected = encodeFrameHead(storedHeaderJson(offset, timestamp, key, headers), value);
          expect(storedRecordHead(offset, timestamp, key, headers, value)).toEqual(expected);
        }
      }
    }
  });

  it("gives encodeFrameHead's bytes for an empty value", () => {
    const empty = Buffer.alloc(0);
    expect(storedRecordHead(7, 8, "k", undefined, empty)).toEqual(
      encodeFrameHead(storedHeaderJson(7, 8, "k", undefined), empty),
    );
  });
});
