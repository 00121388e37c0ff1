import { Ajv2020 } from "ajv/dist/2020.js";
import { z } from "zod";
import { type CheckDefinition, ParameterProblem } from "../types.ts";

/** The JSON an answer carries: a ```json fenced block, else the outermost {...}; null when none parses. */
export function jsonIn(text: string): unknown {
  const fenced = /```(?:json)?\s*\n?([\s\S]*?)```/.exec(text);
  const candidates = fenced ? [fenced[1] as string] : [];
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  for (const candidate of candidates) {
    try {
      return JSON.parse(candidate);
    } catch {
      // the next candidate
    }
  }
  return null;
}

// One validator instance; each compiled schema is removed from its cache at once (the validate
// function keeps working): inline configs bring arbitrary schemas, and prepared hooks are cached
// with the route plan, so ajv's own cache would only grow.
const ajv = new Ajv2020({ allErrors: false, strict: false });

const jsonSchema: CheckDefinition<{ schema: Record<string, unknown> }> = {
  id: "default.jsonSchema",
  stages: ["after"],
  params: z.looseObject({ schema: z.record(z.string(), z.unknown()) }),
  prepare(p) {
    let validate: ReturnType<typeof ajv.compile>;
    try {
      validate = ajv.compile(p.schema);
    } catch (error) {
      throw new ParameterProblem("schema", `the JSON schema does not compile: ${(error as Error).message}`);
    } finally {
      ajv.removeSchema(p.schema);
    }
    return ({ text }) => {
      const json = jsonIn(text);
      if (json === null) return { verdict: false, data: { found: false }, explanation: "no JSON found in the text" };
      const verdict = validate(json);
      const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
      return {
        verdict,
        data: { found: true, errors },
        explanation: verdict
          ? "the JSON matches the schema"
          : `the JSON does not match the schema: ${errors.join("; ")}`,
      };
    };
  },
};

const jsonKeys: CheckDefinition<{ keys: string[]; operator: "any" | "all" | "none" }> = {
  id: "default.jsonKeys",
  stages: ["after"],
  params: z.looseObject({
    keys: z.array(z.string().min(1)).min(1),
    operator: z.enum(["any", "all", "none"]).default("any"),
  }),
  prepare(p) {
    return ({ text }) => {
      const json = jsonIn(text);
      const present =
        json !== null && typeof json === "object" && !Array.isArray(json)
          ? p.keys.filter((k) => Object.hasOwn(json, k))
          : [];
      const n = present.length;
      const verdict = p.operator === "any" ? n > 0 : p.operator === "all" ? n === p.keys.length : n === 0;
      return {
        verdict,
        data: { operator: p.operator, presentKeys: present, found: json !== null },
        explanation: `${n} of ${p.keys.length} keys present (operator ${p.operator})`,
      };
    };
  },
};

export const JSON_CHECKS = [jsonSchema, jsonKeys] as unknown as readonly CheckDefinition<never>[];
