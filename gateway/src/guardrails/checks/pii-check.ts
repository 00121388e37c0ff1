import { z } from "zod";
import { PII_CATEGORIES, PiiPlaceholders, scanPii } from "../pii.ts";
import type { CheckDefinition } from "../types.ts";

/**
 * `pii` (alias `portkey.pii`, Portkey's hosted id): passes when the checked text holds none of the
 * categories. With `redact`, each finding is replaced by a `{{CATEGORY_n}}` placeholder and the
 * check passes (the text that goes on is clean); without, a finding fails it. Data and explanation
 * carry counts per category, never the values.
 */
const pii: CheckDefinition<{ categories: (typeof PII_CATEGORIES)[number][]; redact: boolean }> = {
  id: "default.pii",
  stages: ["before", "after"],
  transforms: true,
  // Without redact it only detects: it may run beside other checks and `not` inverts it.
  rewrites: (p) => p.redact === true,
  params: z.looseObject({
    categories: z
      .array(z.enum(PII_CATEGORIES))
      .min(1)
      .default([...PII_CATEGORIES]),
    redact: z.boolean().default(false),
  }),
  prepare(p) {
    return ({ texts }) => {
      const placeholders = p.redact ? new PiiPlaceholders() : null;
      const found: Record<string, number> = {};
      let total = 0;
      const out = texts.map((text) => {
        const scan = scanPii(text, p.categories, placeholders);
        for (const [category, n] of Object.entries(scan.found)) found[category] = (found[category] ?? 0) + n;
        total += scan.total;
        return scan.redacted;
      });
      const summary = Object.entries(found)
        .map(([category, n]) => `${category}: ${n}`)
        .join(", ");
      return {
        verdict: total === 0 || p.redact,
        data: { detected: found, redacted: p.redact && total > 0 },
        explanation: total === 0 ? "no PII found" : `${p.redact ? "redacted" : "found"} ${summary}`,
        ...(p.redact && total > 0 ? { texts: out } : {}),
      };
    };
  },
};

export const PII_CHECKS = [pii] as unknown as readonly CheckDefinition<never>[];
