/** Keys of JSON Schema Gemini's OpenAPI-subset `parameters` refuses; dropped recursively. */
const UNSUPPORTED_SCHEMA_KEYS = new Set(["$schema", "additionalProperties", "$id", "$defs", "strict"]);

export function geminiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(geminiSchema);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!UNSUPPORTED_SCHEMA_KEYS.has(key)) out[key] = geminiSchema(value);
  }
  return out;
}
