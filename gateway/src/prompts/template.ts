import { LRUCache } from "lru-cache";
import Mustache from "mustache";

/**
 * Mustache rendering for prompt templates, strict where Mustache is lenient: a `{{name}}` whose
 * variable is missing is an error naming it (never a silent empty string). Sections and inverted
 * sections over a missing name are just false (that is what they are for). No HTML escaping:
 * prompts are not HTML. Partials (`{{>id}}`, `{{>id@5}}`) are resolved by the caller before
 * rendering (see resolvePartials), so a missing or looping partial is found before anything renders.
 */

export class TemplateError extends Error {
  readonly kind: "syntax" | "missing_variable" | "partial";
  /** The variable or partial the error is about. */
  readonly subject: string | null;

  constructor(kind: TemplateError["kind"], message: string, subject: string | null = null) {
    super(message);
    this.name = "TemplateError";
    this.kind = kind;
    this.subject = subject;
  }
}

type Token = [string, string, number, number, Token[]?, number?];

/**
 * Parsed templates, bounded by the characters of their text (templates are user input: Mustache's own
 * cache would keep every template ever rendered). A prompt's templates are parsed once, not per call.
 */
const PARSED_TEMPLATES_MAX_CHARS = 8 * 1024 * 1024;

/** A Writer that refuses missing variables, with a bounded parse cache. */
class StrictWriter extends Mustache.Writer {
  constructor() {
    super();
    const parsed = new LRUCache<string, Token[]>({
      maxSize: PARSED_TEMPLATES_MAX_CHARS,
      sizeCalculation: (_tokens, key) => Math.max(1, key.length),
    });
    (this as unknown as { templateCache: unknown }).templateCache = {
      get: (key: string) => parsed.get(key),
      set: (key: string, tokens: Token[]) => parsed.set(key, tokens),
      clear: () => parsed.clear(),
    };
  }

  override escapedValue(token: string[], context: Mustache.Context, config?: Mustache.RenderOptions): string {
    requireVariable(token, context);
    return super.escapedValue(token, context, config as never);
  }

  override unescapedValue(token: string[], context: Mustache.Context): string {
    requireVariable(token, context);
    return super.unescapedValue(token, context);
  }
}

function requireVariable(token: string[], context: Mustache.Context): void {
  const name = token[1] ?? "";
  if (context.lookup(name) == null) {
    throw new TemplateError("missing_variable", `variables.${name} is missing (the template uses {{${name}}})`, name);
  }
}

const writer = new StrictWriter();
const NO_ESCAPE: Mustache.RenderOptions = { escape: (value: unknown) => String(value) };

/** Parses a template, or a TemplateError saying why it does not parse (unclosed section, …). */
export function parseTemplate(template: string): Token[] {
  try {
    return writer.parse(template) as Token[];
  } catch (error) {
    throw new TemplateError("syntax", `the template does not parse: ${(error as Error).message}`);
  }
}

/** Names of the partials a template refers to, sections included, in order of appearance. */
export function partialNames(template: string): string[] {
  const names: string[] = [];
  const walk = (tokens: readonly Token[]) => {
    for (const token of tokens) {
      if (token[0] === ">") names.push(token[1]);
      const children = token[4];
      if (Array.isArray(children)) walk(children);
    }
  };
  walk(parseTemplate(template));
  return names;
}

/** Renders with `variables`; `partials` must already hold every partial the template reaches. */
export function renderTemplate(
  template: string,
  variables: Readonly<Record<string, unknown>>,
  partials: Readonly<Record<string, string>>,
): string {
  try {
    return writer.render(template, variables, partials, NO_ESCAPE);
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw new TemplateError("syntax", `the template does not render: ${(error as Error).message}`);
  }
}

/** How deep partials may include partials, and how many distinct ones one render may use. */
export const MAX_PARTIAL_DEPTH = 8;
export const MAX_PARTIALS = 64;

/**
 * Follows `{{>name}}` references from `templates` (depth first), fetching each partial's text once
 * with `lookup`; refuses an unknown partial, a loop (naming the cycle) and anything past the bounds.
 */
export function resolvePartials(
  templates: readonly string[],
  lookup: (name: string) => string | undefined,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  const visit = (name: string, path: readonly string[]) => {
    if (path.includes(name)) {
      throw new TemplateError("partial", `partial loop: ${[...path, name].join(" → ")}`, name);
    }
    if (path.length >= MAX_PARTIAL_DEPTH) {
      throw new TemplateError("partial", `partials nest deeper than ${MAX_PARTIAL_DEPTH} at ${name}`, name);
    }
    let text = resolved[name];
    if (text === undefined) {
      text = lookup(name);
      if (text === undefined) throw new TemplateError("partial", `partial ${name} does not exist`, name);
      if (Object.keys(resolved).length >= MAX_PARTIALS) {
        throw new TemplateError("partial", `a prompt may use at most ${MAX_PARTIALS} partials`, name);
      }
      resolved[name] = text;
    }
    for (const child of partialNames(text)) visit(child, [...path, name]);
  };
  for (const template of templates) for (const name of partialNames(template)) visit(name, []);
  return resolved;
}
