/**
 * The shared shape of a service's error catalogue: each service lists its own codes with an HTTP
 * status and an OpenAI error `type` (`as const satisfies ErrorCatalogue`), subclasses
 * CatalogueError once, and renders every failure with openAIErrorBody in its one error handler.
 */
export type ErrorCatalogue = Record<string, { status: number; type: string }>;

export class CatalogueError<C extends ErrorCatalogue> extends Error {
  readonly code: keyof C & string;
  readonly param: string | null;
  readonly status: number;
  readonly type: string;

  constructor(catalogue: C, code: keyof C & string, message: string, param: string | null = null) {
    super(message);
    const entry = catalogue[code]!;
    this.code = code;
    this.param = param;
    this.status = entry.status;
    this.type = entry.type;
  }
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

export function openAIErrorBody(error: CatalogueError<ErrorCatalogue>): OpenAIErrorBody {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}
