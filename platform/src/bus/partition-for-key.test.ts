import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { murmur2, partitionForKey } from "./partition-for-key.ts";

const kafkajsMurmur2 = createRequire(import.meta.url)("kafkajs/src/producer/partitioners/default/murmur2.js") as (
  key: Buffer,
) => number;

describe("partitionForKey", () => {
  it("hashes exactly like Kafka's (kafkajs') murmur2, for every tail length and non-ASCII keys", () => {
    const keys = ["", "a", "ab", "abc", "abcd", "trace-0001", "0f8fad5b-d9cb-469f-a165-70867728950e", "ключ", "🔑x"];
    for (let i = 0; i < 200; i += 1) keys.push(`trace-${i * 7919}`);
    for (const key of keys) expect(murmur2(Buffer.from(key))).toBe(kafkajsMurmur2(Buffer.from(key)));
  });

  it("is stable and within range", () => {
    expect(partitionForKey("trace-42", 6)).toBe(partitionForKey("trace-42", 6));
    for (let i = 0; i < 100; i += 1) {
      const p = partitionForKey(`k${i}`, 3);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(3);
    }
  });
});
