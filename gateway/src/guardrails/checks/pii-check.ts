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
      let found: Record<string, number> | null = null;
      let out: string[] | null = null;
      for (let i = 0; i < texts.length; i++) {
        const scan = scanPii(texts[i] as string, p.categories, placeholders);
        if (scan.total === 0) continue;
        found ??= {};
        for (const [category, n] of Object.entries(scan.found)) found[category] = (found[category] ?? 0) + n;
        if (placeholders !== null) {
          out ??= [...texts];
          out[i] = scan.redacted;
        }
      }
      // The common answer (nothing found) allocates no summary.
      if (found === null)
        return { verdict: true, data: { detected: {}, redacted: false }, explanation: "no PII found" };
      const summary = Object.entries(found)
        .map(([category, n]) => `${category}: ${n}`)
        .join(", ");
      return {
        verdict: p.redact,
        data: { detected: found, redacted: p.redact },
        explanation: `${p.redact ? "redacted" : "found"} ${summary}`,
        ...(out !== null ? { texts: out } : {}),
      };
    };
  },
};

export const PII_CHECKS = [pii] as unknown as readonly CheckDefinition<never>[];
