import { describe, expect, it } from "vitest";
import { ChatCompletionRequest } from "./chat.ts";
import { LIMITS, ModelName } from "./limits.ts";

/** Issue 10 §5: what a client sends in a chat body is bounded, each bound a 400 naming the path. */

const messages = [{ role: "user", content: "hi" }];

function pathsOf(body: unknown): string[] {
  const parsed = ChatCompletionRequest.safeParse(body);
  if (parsed.success) throw new Error("expected the body to be refused");
  return parsed.error.issues.map((issue) => issue.path.join("."));
}

function nestedSchema(levels: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < levels; i++) schema = { type: "object", properties: { a: schema } };
  return schema;
}

const toolWith = (parameters: unknown) => [{ type: "function", function: { name: "f", parameters } }];

describe("model names", () => {
  it("are non-empty strings of at most LIMITS.modelName characters", () => {
    expect(ModelName.safeParse("m".repeat(LIMITS.modelName)).success).toBe(true);
    for (const model of ["", "m".repeat(LIMITS.modelName + 1), "m".repeat(100 * 1024), 123, null, ["a"]]) {
      expect(pathsOf({ model, messages })).toEqual(["model"]);
    }
  });

  it("say why: missing, not a string, too long", () => {
    const message = (model: unknown) => ModelName.safeParse(model).error?.issues[0]?.message;
    expect(message(undefined)).toBe("model is required");
    expect(message(7)).toBe("model must be a string");
    expect(message("m".repeat(LIMITS.modelName + 1))).toBe(`model must be at most ${LIMITS.modelName} characters`);
  });

  it("bounds user too", () => {
    expect(pathsOf({ model: "m", messages, user: "u".repeat(LIMITS.user + 1) })).toEqual(["user"]);
  });
});

describe("tool schemas: nesting is bounded", () => {
  it(`accepts ${LIMITS.toolSchemaDepth} levels`, () => {
    const parsed = ChatCompletionRequest.safeParse({
      model: "m",
      messages,
      tools: toolWith(nestedSchema(LIMITS.toolSchemaDepth - 1)),
    });
    expect(parsed.success).toBe(true);
  });

  it("refuses 10,000 levels with one issue at the path where it went too deep (no stack overflow)", () => {
    const paths = pathsOf({ model: "m", messages, tools: toolWith(nestedSchema(10_000)) });
    expect(paths).toHaveLength(1);
    const expected = ["tools", 0, "function", "parameters", ...Array(LIMITS.toolSchemaDepth).fill("properties.a")];
    expect(paths[0]).toBe(expected.join("."));
  });

  it("counts items as a level too", () => {
    let schema: unknown = { type: "string" };
    for (let i = 0; i < 100; i++) schema = { type: "array", items: schema };
    const paths = pathsOf({ model: "m", messages, tools: toolWith({ type: "object", properties: { list: schema } }) });
    expect(paths).toHaveLength(1);
    expect(paths[0]).toMatch(/^tools\.0\.function\.parameters\.properties\.list(\.items)+$/);
  });
});
