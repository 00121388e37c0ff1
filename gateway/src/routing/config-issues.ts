import { formatIssues, issuePath } from "@switchyard/events";
import type { z } from "zod";

/** One reason a config was refused: `path` as users write it (`targets[1].weight`), "" for the root. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** `["targets", 1, "weight"]` → `targets[1].weight`; keys that are not identifiers are quoted. */
export function formatPath(segments: readonly PropertyKey[]): string {
  return issuePath(segments, "bracketed");
}

/** One line for an error body: `targets[1].weight: must be >= 0; strategy.mode: ...`. */
export function describeIssues(issues: readonly ConfigIssue[]): string {
  return formatIssues(issues, { root: "config" });
}

/**
 * Flattens zod's issues into ConfigIssues. An unknown key becomes an issue at the key's own
 * path (`targets[0].wieght: unknown key; did you mean "weight"?`) so a typo is named exactly.
 */
export function issuesFromZod(
  error: z.ZodError,
  knownKeysAt: (path: readonly PropertyKey[]) => readonly string[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const hint = closest(key, knownKeysAt(issue.path));
        issues.push({
          path: formatPath([...issue.path, key]),
          message: hint ? `unknown key; did you mean "${hint}"?` : "unknown key",
        });
      }
    } else {
      issues.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return issues;
}

/** The known key nearest to a typo (edit distance ≤ 2, or ≤ 1 for short keys), if any. */
function closest(typo: string, candidates: readonly string[]): string | null {
  const budget = typo.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = budget + 1;
  for (const candidate of candidates) {
    const distance = editDistance(typo.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
