import { readFile } from "node:fs/promises";
import { Tokenizer } from "@huggingface/tokenizers";
import { describe, expect, it } from "vitest";
import { MINILM_DIR } from "./embedder.ts";
import { asciiWordPiece, wordPieceVocab } from "./wordpiece.ts";

/** The lean ASCII path gives the general tokenizer's ids, or steps aside. */
describe("ASCII WordPiece", async () => {
  const json = JSON.parse(await readFile(`${MINILM_DIR}all-minilm-l6-v2-q-tokenizer.json`, "utf8"));
  const general = new Tokenizer(json, {});
  const vocab = wordPieceVocab(json);
  if (vocab === null) throw new Error("the shipped tokenizer is WordPiece");

  it("agrees with the general tokenizer on plain ASCII, punctuation, case, controls and unknown words", () => {
    const texts = [
      "What is the capital of France?",
      "Tell me France's capital",
      "  leading, trailing   and\tinner\r\nwhitespace  ",
      "UPPER lower MiXeD CaSe",
      "e-mail: someone@example.com; cost $42.50 (approx.) ~ 100% {json: true} <tag/> a|b \\ ^_^ `code`",
      "unbelievably antidisestablishmentarianism xqzvkjw supercalifragilisticexpialidocious",
      `${"a".repeat(100)} ${"b".repeat(101)} ok`,
      "ctrl\u0001chars\u007f inside\u0000words",
      "2+2=4, 3*7=21, 10/3≈3".replace("≈", "~"),
      "",
      "...!!!???",
      "don't won't can't y'all",
    ];
    // A generated corpus: words, digits and every ASCII punctuation mark in random mixes.
    const alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"#$%&'()*+,-./:;<=>?@\\]^_`{|}~ \t\n";
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 300; i++) {
      const length = 1 + Math.floor(random() * 60);
      texts.push(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(""));
    }
    for (const text of texts) {
      const expected = general.encode(text).ids;
      const ids = asciiWordPiece(vocab, text, 10_000);
      expect(ids, JSON.stringify(text)).toEqual(expected);
    }
  });

  it("steps aside for non-ASCII text and anything that could spell a special token", () => {
    expect(asciiWordPiece(vocab, "Où est la gare ?", 128)).toBeUndefined();
    expect(asciiWordPiece(vocab, "emoji 🙂", 128)).toBeUndefined();
    expect(asciiWordPiece(vocab, "a [MASK] token", 128)).toBeUndefined();
  });

  it("stops at the token limit", () => {
    expect(asciiWordPiece(vocab, "word ".repeat(200), 128)).toBeNull();
    expect(asciiWordPiece(vocab, "word ".repeat(125), 128)).toHaveLength(127);
    expect(asciiWordPiece(vocab, "word ".repeat(126), 128)).toBeNull();
  });
});
