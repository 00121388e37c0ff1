/**
 * PII detection and redaction with no outside service: fixed patterns (the gateway's own, bounded
 * so none can backtrack badly: every repeat has an upper limit) plus checksums where a format has
 * one (Luhn for card numbers, ISO 7064 mod 97 for IBANs), so "4111 1111 1111 1112" is not a card.
 * Redaction writes Portkey's placeholders, `{{EMAIL_ADDRESS_1}}`: the same value gets the same
 * placeholder within one request, a new value the next number.
 */

export const PII_CATEGORIES = [
  "SECRET",
  "EMAIL_ADDRESS",
  "CREDIT_CARD",
  "IBAN",
  "SSN",
  "IP_ADDRESS",
  "PHONE_NUMBER",
] as const;
export type PiiCategory = (typeof PII_CATEGORIES)[number];

interface Detector {
  readonly pattern: RegExp;
  /** Which of a text's traits (one pass over it, `traitsOf`) the pattern needs to have any chance. */
  readonly needs: number;
  /** A cheap test that must also hold (substring searches), when the traits are not enough. */
  readonly hint?: (text: string) => boolean;
  readonly valid?: (match: string) => boolean;
}

// Traits of a text, found in one pass: many prompts hold no digit or '@', so most detectors never run.
const DIGIT = 1;
const AT = 2;
const SIGN = 4;

function traitsOf(text: string): number {
  let traits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) traits |= DIGIT;
    else if (c === 64) traits |= AT;
    else if (c === 45 || c === 95 || (c >= 65 && c <= 90)) traits |= SIGN; // - _ A-Z
  }
  return traits;
}

// Order matters: secrets and e-mails first (they contain digits other detectors would claim).
const DETECTORS: Record<PiiCategory, Detector> = {
  SECRET: {
    pattern:
      /(?:\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,200}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36,255}|\bxox[abprs]-[A-Za-z0-9-]{10,200}|\bAIza[0-9A-Za-z_-]{35}|\beyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{8,2000}|-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----)/g,
    needs: SIGN,
    hint: (t) =>
      t.includes("sk-") ||
      t.includes("AKIA") ||
      t.includes("gh") ||
      t.includes("xox") ||
      t.includes("AIza") ||
      t.includes("eyJ") ||
      t.includes("PRIVATE KEY"),
  },
  EMAIL_ADDRESS: {
    pattern: /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b/g,
    needs: AT,
  },
  CREDIT_CARD: {
    pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    needs: DIGIT,
    valid: (m) => luhn(m.replace(/\D/g, "")),
  },
  IBAN: {
    pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g,
    needs: DIGIT | SIGN,
    valid: (m) => ibanChecksum(m.replace(/ /g, "")),
  },
  SSN: {
    pattern: /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g,
    needs: DIGIT,
  },
  IP_ADDRESS: {
    pattern:
      /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])|\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b/g,
    // v4 needs digits and dots; full v6 needs colons (its groups may be all letters).
    needs: 0,
    hint: (t) => t.includes(":") || (t.includes(".") && /\d\.\d/.test(t)),
  },
  PHONE_NUMBER: {
    pattern: /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?!\w)/g,
    needs: DIGIT,
  },
};

export function luhn(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function ibanChecksum(iban: string): boolean {
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** Placeholders for one request: the same value keeps its number across texts and checks. */
export class PiiPlaceholders {
  readonly #byValue = new Map<string, string>();
  readonly #counts = new Map<PiiCategory, number>();

  placeholder(category: PiiCategory, value: string): string {
    const key = `${category}\u0000${value}`;
    let placeholder = this.#byValue.get(key);
    if (placeholder === undefined) {
      const n = (this.#counts.get(category) ?? 0) + 1;
      this.#counts.set(category, n);
      placeholder = `{{${category}_${n}}}`;
      this.#byValue.set(key, placeholder);
    }
    return placeholder;
  }
}

export interface PiiScan {
  /** Findings per category (counts only: the values never leave this function). */
  found: Partial<Record<PiiCategory, number>>;
  total: number;
  /** The text with every finding replaced by its placeholder (only when asked to redact). */
  redacted: string;
}

/**
 * Finds the categories' PII in `text`; with `placeholders`, also redacts. Detectors run in the fixed
 * order above over the text as earlier ones left it, so a card number inside a redacted secret is
 * not found twice.
 */
export function scanPii(
  text: string,
  categories: readonly PiiCategory[],
  placeholders: PiiPlaceholders | null,
): PiiScan {
  const found: Partial<Record<PiiCategory, number>> = {};
  let total = 0;
  let current = text;
  // Recomputed after a redaction (placeholders add digits and capitals, and remove what they replace).
  let traits = traitsOf(current);
  for (const category of PII_CATEGORIES) {
    if (!categories.includes(category)) continue;
    const detector = DETECTORS[category];
    if ((traits & detector.needs) !== detector.needs) continue;
    if (detector.hint !== undefined && !detector.hint(current)) continue;
    detector.pattern.lastIndex = 0;
    // test first: most texts hold none, and replace() with a callback costs more than a failed search.
    if (!detector.pattern.test(current)) continue;
    detector.pattern.lastIndex = 0;
    current = current.replace(detector.pattern, (match) => {
      if (detector.valid && !detector.valid(match)) return match;
      found[category] = (found[category] ?? 0) + 1;
      total++;
      return placeholders ? placeholders.placeholder(category, match) : match;
    });
    if (placeholders !== null && current !== text) traits = traitsOf(current);
  }
  return { found, total, redacted: placeholders ? current : text };
}
