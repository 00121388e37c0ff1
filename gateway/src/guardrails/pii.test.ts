import { describe, expect, it } from "vitest";
import { ibanChecksum, luhn, PII_CATEGORIES, PiiPlaceholders, scanPii } from "./pii.ts";

const all = PII_CATEGORIES;
const redact = (text: string) => scanPii(text, all, new PiiPlaceholders()).redacted;

describe("PII detection and redaction", () => {
  it.each([
    ["mail jane.doe+x@corp.example.co.uk now", "mail {{EMAIL_ADDRESS_1}} now"],
    ["call +1 415-555-0132 or (415) 555-0199", "call {{PHONE_NUMBER_1}} or {{PHONE_NUMBER_2}}"],
    ["card 4111 1111 1111 1111 ok", "card {{CREDIT_CARD_1}} ok"],
    ["ssn 123-45-6789.", "ssn {{SSN_1}}."],
    ["iban DE89 3704 0044 0532 0130 00 ok", "iban {{IBAN_1}} ok"],
    ["from 10.0.0.12 and 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "from {{IP_ADDRESS_1}} and {{IP_ADDRESS_2}}"],
    ["key sk-proj-abcdefghijklmnopqrstuvwxyz0123 and AKIAABCDEFGHIJKLMNOP", "key {{SECRET_1}} and {{SECRET_2}}"],
  ])("%s", (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it("checksums keep look-alikes: a card failing Luhn, an IBAN failing mod 97, an invalid SSN area", () => {
    expect(redact("card 4111 1111 1111 1112")).toBe("card 4111 1111 1111 1112");
    expect(redact("iban DE89 3704 0044 0532 0130 01")).toBe("iban DE89 3704 0044 0532 0130 01");
    expect(redact("ssn 666-45-6789")).toBe("ssn 666-45-6789");
    expect(luhn("79927398713")).toBe(false); // too short for a card
    expect(luhn("4012888888881881")).toBe(true);
    expect(ibanChecksum("GB82WEST12345698765432")).toBe(true);
  });

  it("counts per category without redacting; the same value keeps its placeholder", () => {
    const scan = scanPii("a@b.io, a@b.io, 123-45-6789", all, null);
    expect(scan).toEqual({ found: { EMAIL_ADDRESS: 2, SSN: 1 }, total: 3, redacted: "a@b.io, a@b.io, 123-45-6789" });
    expect(scanPii("a@b.io", ["SSN"], null).total).toBe(0);
  });
});
