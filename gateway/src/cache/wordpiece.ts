/**
 * BERT's uncased WordPiece tokenization for plain-ASCII text, as the model's tokenizer.json specifies
 * it (BertNormalizer: clean text, lowercase; BertPreTokenizer: split on whitespace, isolate
 * punctuation; WordPiece with "##" continuations, [UNK] for a word it cannot spell or over 100
 * characters; [CLS] … [SEP] around it). The general tokenizer (@huggingface/tokenizers) allocates
 * ~21 KB per sentence — the embedding's main garbage, so young-generation collections landed in
 * lookups — and costs ~12 µs; this path allocates the ids and little else. Text with any non-ASCII
 * character or a "[" (which could spell a special token) is left to the general tokenizer, where
 * Unicode categories, accents, CJK and added tokens matter. A test checks both agree.
 */
export interface WordPieceVocab {
  ids: ReadonlyMap<string, number>;
  cls: number;
  sep: number;
  unk: number;
}

const MAX_WORD_CHARS = 100;

/** The vocabulary of a tokenizer.json whose model is WordPiece with the BERT special tokens. */
export function wordPieceVocab(tokenizerJson: unknown): WordPieceVocab | null {
  const model = (tokenizerJson as { model?: { type?: string; vocab?: Record<string, number> } }).model;
  if (model?.type !== "WordPiece" || !model.vocab) return null;
  const ids = new Map(Object.entries(model.vocab));
  const cls = ids.get("[CLS]");
  const sep = ids.get("[SEP]");
  const unk = ids.get("[UNK]");
  return cls === undefined || sep === undefined || unk === undefined ? null : { ids, cls, sep, unk };
}

/**
 * The token ids of `text` ([CLS] first, [SEP] last); null once they reach `maxTokens`; undefined
 * when the text is not plain ASCII without "[" (the general tokenizer's job).
 */
export function asciiWordPiece(vocab: WordPieceVocab, text: string, maxTokens: number): number[] | null | undefined {
  const out = [vocab.cls];
  let word = "";
  const flush = () => {
    if (word === "") return true;
    pieces(vocab, word, out);
    word = "";
    return out.length < maxTokens;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f || c === 0x5b) return undefined;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) {
      if (!flush()) return null;
    } else if (c < 0x20 || c === 0x7f) {
      // Control characters are dropped (clean_text), without splitting the word.
    } else if (isAsciiPunctuation(c)) {
      if (!flush()) return null;
      word = text[i] as string;
      if (!flush()) return null;
    } else word += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 32) : text[i];
  }
  if (!flush()) return null;
  out.push(vocab.sep);
  return out.length < maxTokens ? out : null;
}

function isAsciiPunctuation(c: number): boolean {
  return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

/** Greedy longest-match-first; a word with any unspellable rest is one [UNK]. */
function pieces(vocab: WordPieceVocab, word: string, out: number[]): void {
  if (word.length > MAX_WORD_CHARS) {
    out.push(vocab.unk);
    return;
  }
  const from = out.length;
  let start = 0;
  while (start < word.length) {
    let end = word.length;
    let id: number | undefined;
    while (end > start) {
      const piece = word.slice(start, end);
      id = vocab.ids.get(start > 0 ? `##${piece}` : piece);
      if (id !== undefined) break;
      end -= 1;
    }
    if (id === undefined) {
      out.length = from;
      out.push(vocab.unk);
      return;
    }
    out.push(id);
    start = end;
  }
}
