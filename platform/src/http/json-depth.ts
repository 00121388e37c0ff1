/**
 * The deepest JSON nesting a request body may have. Deep enough for any real tool schema or
 * structured-output schema; shallow enough that every recursive walk after parsing (schema checks,
 * event building, serialisation) stays far from the stack limit.
 */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** The index of the quote closing the string opened at `open`, or -1 when it is never closed. */
function closingQuote(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  while (at !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return -1;
}

/** Whether `text` holds at most `max` `{` and `[` in all (strings included): then no nesting can exceed `max`. */
function fewOpenings(text: string, max: number): boolean {
  let count = 0;
  for (let at = text.indexOf("{"); at !== -1; at = text.indexOf("{", at + 1)) if (++count > max) return false;
  for (let at = text.indexOf("["); at !== -1; at = text.indexOf("[", at + 1)) if (++count > max) return false;
  return true;
}

/**
 * Whether `text` opens more than `maxDepth` nested arrays/objects, checked on the raw string before
 * JSON.parse. Must hold: for valid JSON the answer is exact (brackets inside strings are skipped);
 * for invalid JSON it may say either, and JSON.parse then rejects the text anyway. A typical body has
 * fewer brackets than the bound in all, which a few native indexOf calls establish; only the rest is
 * scanned character by character, jumping over strings with indexOf.
 */
export function jsonDepthExceeds(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  if (fewOpenings(text, maxDepth)) return false;
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i === -1) return false;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
