import { describe, expect, it } from "vitest";
import { murmur2, partitionForKey } from "./partition-for-key.ts";

// partitionForKey hashes ASCII keys from a reused scratch array: it must agree with hashing the
// key's UTF-8 bytes for every kind of key, including after a longer key grew the scratch.
const reference = (key: string, partitions: number) => (murmur2(Buffer.from(key, "utf8")) & 0x7fffffff) % partitions;

describe("partitionForKey fast paths", () => {
  it("matches murmur2 over the UTF-8 bytes for ASCII, non-ASCII, empty and long keys", () => {
    const keys = [
      "",
      "a",
      "ab",
      "abc",
      "abcd",
      "0af7651916cd43dd8448eb211c80319c",
      "trace-42",
      "é",
      "kä-12",
      "日本語キー",
      "🙂x",
    ];
    keys.push("x".repeat(200), "short-after-long", `${"y".repeat(150)}é`);
    for (let i = 0; i < 500; i += 1) keys.push(`k${i}-${(i * 2654435761).toString(36)}`);
    for (const key of keys) {
      for (const partitions of [2, 3, 6, 12]) expect(partitionForKey(key, partitions)).toBe(reference(key, partitions));
    }
  });

  it("puts every key on partition 0 of a single-partition topic", () => {
    expect(partitionForKey("anything", 1)).toBe(0);
    expect(partitionForKey("é", 1)).toBe(0);
  });
});
