import { z } from "zod";
import { compilePattern, PatternError, type SafeRegex } from "../../safe-regex/safe-regex.ts";
import { type CheckDefinition, ParameterProblem } from "../types.ts";

/**
 * Checks that read the message text (Portkey's default plugin: same ids, parameter names and
 * defaults). Parameters are zod objects that keep unknown keys (Portkey adds fields over time);
 * required ones fail the config with a 400 naming them.
 */

const count = z.number().int().min(0);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `rule` as Portkey takes it: a bare pattern or `/pattern/flags`. Compiled on RE2 (linear time). */
export function compileRule(rule: string, param: string): SafeRegex {
  const literal = /^\/([\s\S]+)\/([a-z]*)$/.exec(rule);
  try {
    return literal ? compilePattern(literal[1] as string, literal[2]) : compilePattern(rule);
  } catch (error) {
    if (error instanceof PatternError) throw new ParameterProblem(param, error.message);
    throw error;
  }
}

const regexMatch: CheckDefinition<{ rule: string }> = {
  id: "default.regexMatch",
  stages: ["before", "after"],
  // Portkey's raw-guardrail docs write the pattern as `regex`; its manifest (and its code) reads `rule`.
  params: z.preprocess(
    (p) => (isObject(p) && p.rule === undefined && p.regex !== undefined ? { ...p, rule: p.regex } : p),
    z.looseObject({ rule: z.string().min(1) }),
  ),
  prepare(p) {
    const regex = compileRule(p.rule, "rule");
    return ({ text }) => {
      if (text === "") throw new Error("no text to match");
      const matched = regex.test(text);
      return {
        verdict: matched,
        data: { regexPattern: p.rule, matched },
        explanation: matched ? "the text matches the pattern" : "the text does not match the pattern",
      };
    };
  },
};

const regexReplace: CheckDefinition<{ rule: string; redactText: string; failOnDetection: boolean }> = {
  id: "default.regexReplace",
  stages: ["before", "after"],
  transforms: true,
  params: z.looseObject({
    rule: z.string().min(1),
    redactText: z.string().default("[REDACTED]"),
    failOnDetection: z.boolean().default(false),
  }),
  prepare(p) {
    const regex = compileRule(p.rule, "rule");
    return ({ texts }) => {
      let replacements = 0;
      const out = texts.map((t) =>
        regex.replaceAll(t, () => {
          replacements++;
          return p.redactText;
        }),
      );
      const verdict = !(p.failOnDetection && replacements > 0);
      return {
        verdict,
        data: { regexPattern: p.rule, replacements },
        explanation: `${replacements} match(es) replaced`,
        ...(replacements > 0 ? { texts: out } : {}),
      };
    };
  },
};

/** A min/max counter check (words, sentences, characters). */
function rangeCheck(
  id: string,
  unit: string,
  keys: [string, string],
  max: number,
  measure: (text: string) => number,
): CheckDefinition<Record<string, number>> {
  const [minKey, maxKey] = keys;
  return {
    id,
    stages: ["before", "after"],
    params: z.looseObject({ [minKey]: count.default(0), [maxKey]: count.default(max) }) as unknown as z.ZodType<
      Record<string, number>
    >,
    prepare(p) {
      const min = p[minKey] as number;
      const most = p[maxKey] as number;
      return ({ text }) => {
        const n = measure(text);
        const verdict = n >= min && n <= most;
        return {
          verdict,
          data: { [unit]: n, [minKey]: min, [maxKey]: most },
          explanation: `${n} ${unit}; allowed ${min} to ${most}`,
        };
      };
    },
  };
}

function wordsIn(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || (c >= 9 && c <= 13) || c === 160;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

const sentencesIn = (text: string): number => text.split(/[.!?]+/).filter((s) => s.trim().length > 0).length;

const wordCount = rangeCheck("default.wordCount", "words", ["minWords", "maxWords"], 99_999, wordsIn);
const sentenceCount = rangeCheck(
  "default.sentenceCount",
  "sentences",
  ["minSentences", "maxSentences"],
  99_999,
  sentencesIn,
);
const characterCount = rangeCheck(
  "default.characterCount",
  "characters",
  ["minCharacters", "maxCharacters"],
  9_999_999,
  (t) => t.length,
);

const Operator = z.enum(["any", "all", "none"]);

const contains: CheckDefinition<{ words: string[]; operator: "any" | "all" | "none" }> = {
  id: "default.contains",
  stages: ["before", "after"],
  params: z.looseObject({ words: z.array(z.string().min(1)).min(1), operator: Operator.default("any") }),
  prepare(p) {
    return ({ text }) => {
      const found = p.words.filter((w) => text.includes(w)).length;
      const verdict = p.operator === "any" ? found > 0 : p.operator === "all" ? found === p.words.length : found === 0;
      return {
        verdict,
        data: { operator: p.operator, wordsFound: found, wordsChecked: p.words.length },
        explanation: `${found} of ${p.words.length} words found (operator ${p.operator})`,
      };
    };
  },
};

const endsWith: CheckDefinition<{ suffix: string }> = {
  id: "default.endsWith",
  stages: ["before", "after"],
  params: z.looseObject({ suffix: z.string().min(1) }),
  prepare(p) {
    return ({ text }) => {
      const verdict = text.trimEnd().endsWith(p.suffix);
      return {
        verdict,
        data: { suffix: p.suffix },
        explanation: verdict ? "ends with the suffix" : "does not end with the suffix",
      };
    };
  },
};

function caseCheck(id: string, upper: boolean): CheckDefinition<Record<string, unknown>> {
  return {
    id,
    stages: ["before", "after"],
    params: z.looseObject({}),
    prepare() {
      return ({ text }) => {
        const letters = text.replace(/[^\p{L}]/gu, "");
        const verdict = letters.length > 0 && letters === (upper ? letters.toUpperCase() : letters.toLowerCase());
        return { verdict, explanation: verdict ? `all ${upper ? "upper" : "lower"} case` : "mixed case" };
      };
    },
  };
}

const notNull: CheckDefinition<Record<string, unknown>> = {
  id: "default.notNull",
  stages: ["after"],
  params: z.looseObject({}),
  prepare() {
    return ({ text }) => {
      const verdict = text.trim().length > 0;
      return { verdict, explanation: verdict ? "the answer has text" : "the answer is empty" };
    };
  },
};

const FENCE = /```([A-Za-z0-9_+#-]*)/g;

const containsCode: CheckDefinition<{ format: string }> = {
  id: "default.containsCode",
  stages: ["after"],
  params: z.looseObject({ format: z.string().min(1) }),
  prepare(p) {
    const wanted = p.format.toLowerCase();
    return ({ text }) => {
      const languages = [...text.matchAll(FENCE)].map((m) => (m[1] ?? "").toLowerCase()).filter(Boolean);
      const verdict = languages.includes(wanted);
      return {
        verdict,
        data: { format: p.format, languages },
        explanation: `code blocks: ${languages.join(", ") || "none"}`,
      };
    };
  },
};

export const TEXT_CHECKS = [
  regexMatch,
  regexReplace,
  wordCount,
  sentenceCount,
  characterCount,
  contains,
  endsWith,
  caseCheck("default.alluppercase", true),
  caseCheck("default.alllowercase", false),
  notNull,
  containsCode,
] as unknown as readonly CheckDefinition<never>[];
