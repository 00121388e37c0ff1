import { describe, expect, it } from "vitest";
import { type ConditionContext, evaluateQuery, readField, validateQuery } from "./conditions.ts";

const ctx: ConditionContext = {
  metadata: { plan: "paid", tier: "3", region: "eu-west-1", "team.name": "search" },
  params: {
    model: "gpt-4o",
    temperature: 0.2,
    max_tokens: 500,
    stream: true,
    messages: [{ role: "system", content: "hi" }, { role: "user" }],
    response_format: { type: "json_object" },
  },
  url: { pathname: "/v1/chat/completions" },
};

const holds = (query: Record<string, unknown>) => {
  expect(validateQuery(query)).toEqual([]);
  return evaluateQuery(query, ctx);
};

describe("evaluateQuery operators", () => {
  it("$eq, and a bare value as implicit $eq", () => {
    expect(holds({ "metadata.plan": { $eq: "paid" } })).toBe(true);
    expect(holds({ "metadata.plan": "paid" })).toBe(true);
    expect(holds({ "metadata.plan": { $eq: "free" } })).toBe(false);
    expect(holds({ "params.stream": true })).toBe(true);
    expect(holds({ "params.response_format": { $eq: { type: "json_object" } } })).toBe(true);
  });

  it("a metadata string equals the number it spells (metadata always arrives as strings)", () => {
    expect(holds({ "metadata.tier": { $eq: 3 } })).toBe(true);
    expect(holds({ "metadata.tier": 3 })).toBe(true);
    expect(holds({ "params.max_tokens": "500" })).toBe(true);
  });

  it("$ne, including a missing field (missing is not equal)", () => {
    expect(holds({ "metadata.plan": { $ne: "free" } })).toBe(true);
    expect(holds({ "metadata.plan": { $ne: "paid" } })).toBe(false);
    expect(holds({ "metadata.missing": { $ne: "x" } })).toBe(true);
  });

  it("$gt $gte $lt $lte numerically, numeric strings included", () => {
    expect(holds({ "params.temperature": { $gt: 0.1 } })).toBe(true);
    expect(holds({ "params.temperature": { $gt: 0.2 } })).toBe(false);
    expect(holds({ "params.temperature": { $gte: 0.2 } })).toBe(true);
    expect(holds({ "params.max_tokens": { $lt: 1000 } })).toBe(true);
    expect(holds({ "params.max_tokens": { $lte: 499 } })).toBe(false);
    expect(holds({ "metadata.tier": { $gte: 2, $lt: 4 } })).toBe(true);
    expect(holds({ "metadata.tier": { $gt: "10" } })).toBe(false); // 3 > 10 numerically, not "3" > "10" lexically
  });

  it("comparisons against a missing or non-numeric value are false; two strings compare lexically", () => {
    expect(holds({ "metadata.missing": { $gt: 1 } })).toBe(false);
    expect(holds({ "metadata.plan": { $gt: 1 } })).toBe(false);
    expect(holds({ "metadata.region": { $gte: "eu" } })).toBe(true);
    expect(holds({ "metadata.region": { $lt: "eu" } })).toBe(false);
  });

  it("$in and $nin", () => {
    expect(holds({ "params.model": { $in: ["gpt-4o", "gpt-4o-mini"] } })).toBe(true);
    expect(holds({ "params.model": { $in: ["claude"] } })).toBe(false);
    expect(holds({ "metadata.tier": { $in: [1, 2, 3] } })).toBe(true);
    expect(holds({ "params.model": { $nin: ["claude"] } })).toBe(true);
    expect(holds({ "params.model": { $nin: ["gpt-4o"] } })).toBe(false);
    expect(holds({ "metadata.missing": { $in: ["x"] } })).toBe(false);
    expect(holds({ "metadata.missing": { $nin: ["x"] } })).toBe(true);
  });

  it("$regex on strings (and numbers); never on a missing value", () => {
    expect(holds({ "params.model": { $regex: "^gpt-4" } })).toBe(true);
    expect(holds({ "params.model": { $regex: "^claude" } })).toBe(false);
    expect(holds({ "url.pathname": { $regex: "/chat/" } })).toBe(true);
    expect(holds({ "params.max_tokens": { $regex: "^5\\d\\d$" } })).toBe(true);
    expect(holds({ "metadata.missing": { $regex: ".*" } })).toBe(false);
  });

  it("$length on arrays and strings, with a number or operators", () => {
    expect(holds({ "params.messages": { $length: 2 } })).toBe(true);
    expect(holds({ "params.messages": { $length: { $gt: 5 } } })).toBe(false);
    expect(holds({ "metadata.plan": { $length: { $gte: 4 } } })).toBe(true);
  });

  it("$and and $or nest, and every key of a query object must hold", () => {
    expect(holds({ $and: [{ "metadata.plan": "paid" }, { "params.stream": true }] })).toBe(true);
    expect(holds({ $and: [{ "metadata.plan": "paid" }, { "params.stream": false }] })).toBe(false);
    expect(holds({ $or: [{ "metadata.plan": "free" }, { "params.model": "gpt-4o" }] })).toBe(true);
    expect(holds({ $or: [{ "metadata.plan": "free" }, { "params.model": "claude" }] })).toBe(false);
    // Unlike the OSS gateway, a key next to $or is not ignored.
    expect(holds({ $or: [{ "metadata.plan": "paid" }], "params.model": "claude" })).toBe(false);
    expect(
      holds({ $or: [{ $and: [{ "metadata.plan": "paid" }, { "metadata.tier": { $gt: 2 } }] }, { "metadata.x": "y" }] }),
    ).toBe(true);
  });

  it("an empty query matches", () => {
    expect(holds({})).toBe(true);
  });
});

describe("readField", () => {
  it("reads dotted params paths, array indexes, and metadata keys that contain dots", () => {
    expect(readField(ctx, "params.messages.0.role")).toBe("system");
    expect(readField(ctx, "params.response_format.type")).toBe("json_object");
    expect(readField(ctx, "metadata.team.name")).toBe("search");
    expect(readField(ctx, "params.messages.5.role")).toBeUndefined();
  });

  it("never walks into inherited properties", () => {
    expect(readField(ctx, "params.__proto__")).toBeUndefined();
    expect(readField(ctx, "params.model.length")).toBeUndefined();
    expect(readField(ctx, "metadata.constructor")).toBeUndefined();
  });
});

describe("validateQuery", () => {
  it("names each problem by its path inside the query", () => {
    expect(
      validateQuery({
        "metadata.a": { $regex: "(" },
        "metadata.b": { $between: [1, 2] },
        $nor: [],
        $or: [],
        "headers.x": "y",
        "params.c": { $gt: [1] },
        "params.d": {},
        "params.e": { $length: "long" },
      }).map((issue) => issue.path.join(" ")),
    ).toEqual([
      "metadata.a $regex",
      "metadata.b $between",
      "$nor",
      "$or",
      "headers.x",
      "params.c $gt",
      "params.d",
      "params.e $length",
    ]);
  });

  it("refuses a non-object query and an over-long regex", () => {
    expect(validateQuery([])).toEqual([{ path: [], message: "a query must be an object" }]);
    expect(validateQuery({ "metadata.a": { $regex: "a".repeat(600) } })[0]?.message).toMatch(/at most 512/);
  });
});
