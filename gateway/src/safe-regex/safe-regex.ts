import { LRUCache } from "lru-cache";
import { RE2JS } from "re2js";

/**
 * Regular expressions written by users (conditional routing's `$regex` now, guardrail checks
 * next) run here, never on `new RegExp`: V8's engine backtracks, so `(a+)+$` against 30
 * characters blocks the event loop for seconds. RE2JS (a pure-JS port of RE2, no native build)
 * matches in time linear in the input, at the price of RE2's syntax: no backreferences and no
 * lookaround, which compilePattern refuses with a clear message.
 *
 * Linear in the input is not cheap in the pattern: the worst case costs about (compiled program
 * size × input length), and a short pattern such as `[\s\S]{1000}` compiles to a large program.
 * So both are bounded: the pattern's length and the compiled program's instruction count.
 */

/** Longest pattern accepted, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 512;
/** Largest compiled program accepted, in RE2 instructions (`^gpt-4` is ~10, `\w{1000}` ~1000). */
export const MAX_PROGRAM_SIZE = 1000;

/** A compiled user pattern. `test` is true when the pattern matches anywhere in the input. */
export interface SafeRegex {
  readonly source: string;
  test(input: string): boolean;
  /**
   * Every match replaced (guardrails' regexReplace, PII redaction); `replace` gets the matched
   * text and its ordinal (0, 1, …) and returns what takes its place.
   */
  replaceAll(input: string, replace: (match: string, ordinal: number) => string): string;
}

/** A pattern that cannot be used; `message` is user-facing and names no internals. */
export class PatternError extends Error {
  override name = "PatternError";
}

/** JavaScript-style flags understood; `g`, `y`, `u`, `d` change nothing for a yes/no test and are ignored. */
const FLAG_BITS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL };
const IGNORED_FLAGS = new Set(["g", "y", "u", "d"]);

/**
 * Compiles a user-supplied pattern (JavaScript syntax: named groups `(?<n>…)`, `\u{…}` and
 * the like are translated) or throws PatternError saying why it was refused.
 */
export function compilePattern(pattern: string, flags = ""): SafeRegex {
  if (typeof pattern !== "string") throw new PatternError("a pattern must be a string");
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new PatternError(`pattern is ${pattern.length} characters; at most ${MAX_PATTERN_LENGTH} are allowed`);
  }
  let bits = 0;
  for (const flag of flags) {
    const bit = FLAG_BITS[flag];
    if (bit !== undefined) bits |= bit;
    else if (!IGNORED_FLAGS.has(flag)) throw new PatternError(`unknown regular expression flag "${flag}"`);
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern), bits);
  } catch (error) {
    // RE2JS says e.g. "error parsing regexp: invalid or unsupported Perl syntax: `(?=`".
    const reason = (error as Error).message.replace(/^error parsing regexp: /, "");
    throw new PatternError(`invalid regular expression: ${reason} (RE2 syntax: no backreferences or lookaround)`);
  }
  const size = programSize(compiled);
  if (size > MAX_PROGRAM_SIZE) {
    throw new PatternError(
      `regular expression is too complex (${size} instructions compiled; at most ${MAX_PROGRAM_SIZE}); use smaller repeat counts`,
    );
  }
  return {
    source: pattern,
    test: (input) => compiled.test(input),
    replaceAll: (input, replace) => {
      let ordinal = 0;
      // A replacer function: the replacement is used as given (no $1 group syntax to escape).
      return compiled.matcher(input).replaceAll((match: string) => replace(match, ordinal++));
    },
  };
}

/** The reason a pattern would be refused, or null when compilePattern accepts it. */
export function patternProblem(pattern: unknown, flags = ""): string | null {
  if (typeof pattern !== "string") return "a pattern must be a string";
  try {
    compilePattern(pattern, flags);
    return null;
  } catch (error) {
    if (error instanceof PatternError) return error.message;
    throw error;
  }
}

// RE2JS exposes the compiled program as `re2().prog` (typed `any`); the safe-regex test pins
// that it is still there, so an upgrade that moves it fails loudly rather than dropping the cap.
function programSize(compiled: RE2JS): number {
  const inst: unknown = compiled.re2()?.prog?.inst;
  return Array.isArray(inst) ? inst.length : 0;
}

/**
 * Compiled patterns reused across requests (a saved config is evaluated on every call), least
 * recently used dropped beyond `max`: inline configs can bring arbitrary patterns. A refused
 * pattern throws PatternError each time and is not cached.
 */
export class PatternCache {
  readonly #compiled: LRUCache<string, SafeRegex>;

  constructor(max = 1000) {
    this.#compiled = new LRUCache({ max });
  }

  get(pattern: string, flags = ""): SafeRegex {
    const key = `${flags.length}:${flags}${pattern}`; // length-prefixed: no two (flags, pattern) pairs collide
    let regex = this.#compiled.get(key);
    if (!regex) {
      regex = compilePattern(pattern, flags);
      this.#compiled.set(key, regex);
    }
    return regex;
  }

  get size(): number {
    return this.#compiled.size;
  }
}
