/**
 * The console's only door to the analytics API (same origin, so no CORS): every call carries the
 * API key the user entered, is bounded by a timeout, and every failure becomes an ApiProblem whose
 * message says in words what went wrong and what to do.
 */

const KEY_STORAGE = "switchyard-console-api-key";
const TIMEOUT_MS = 30_000;

export type ProblemKind = "auth" | "forbidden" | "bad_request" | "not_found" | "unreachable" | "timeout" | "server";

export class ApiProblem extends Error {
  readonly kind: ProblemKind;
  readonly param: string | null;
  readonly status: number | null;
  /** The API's error code (`not_found` for a route this API does not have, `trace_not_found`, ...). */
  readonly code: string | null;

  constructor(
    kind: ProblemKind,
    message: string,
    status: number | null = null,
    param: string | null = null,
    code: string | null = null,
  ) {
    super(message);
    this.name = "ApiProblem";
    this.kind = kind;
    this.status = status;
    this.param = param;
    this.code = code;
  }
}

export function storedKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  if (key === null || key === "") localStorage.removeItem(KEY_STORAGE);
  else localStorage.setItem(KEY_STORAGE, key);
}

interface ErrorBody {
  error?: { message?: string; code?: string; param?: string | null };
}

function kindOf(status: number): ProblemKind {
  if (status === 401) return "auth";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status >= 400 && status < 500) return "bad_request";
  return "server";
}

const AUTH_HINT: Record<string, string> = {
  missing_api_key: "This analytics API requires an API key. Enter one to continue.",
  invalid_api_key: "The API key you entered is not valid. Check it and enter it again.",
  revoked_api_key: "The API key you entered has been revoked. Enter another one.",
};

/** GET a JSON document from the analytics API; query values that are empty are left out. */
export async function apiGet<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, v);
  const url = params.size > 0 ? `${path}?${params}` : path;
  const headers: Record<string, string> = { accept: "application/json" };
  const key = storedKey();
  if (key) headers.authorization = `Bearer ${key}`;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new ApiProblem(
        "timeout",
        `The analytics API did not answer within ${TIMEOUT_MS / 1000} s. Try a shorter time range.`,
      );
    }
    throw new ApiProblem(
      "unreachable",
      `The analytics API at ${location.origin} is unreachable. Is Switchyard running (npm start)?`,
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ApiProblem(
      "server",
      `The analytics API answered ${response.status} without a JSON body.`,
      response.status,
    );
  }
  if (response.ok) return body as T;
  const error = (body as ErrorBody).error ?? {};
  const code = error.code ?? "";
  const message =
    AUTH_HINT[code] ?? error.message ?? `The analytics API answered ${response.status} ${response.statusText}.`;
  if (response.status === 503) {
    throw new ApiProblem("server", `The analytics store is unavailable: ${message}`, 503, error.param ?? null, code);
  }
  throw new ApiProblem(kindOf(response.status), message, response.status, error.param ?? null, code || null);
}

/** Downloads what a GET answers (e.g. a streamed CSV export) as a file, with the key in the header. */
export async function apiDownload(
  path: string,
  query: Record<string, string | undefined>,
  filename: string,
): Promise<void> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, v);
  const key = storedKey();
  let response: Response;
  try {
    response = await fetch(`${path}?${params}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  } catch {
    throw new ApiProblem("unreachable", `The analytics API at ${location.origin} is unreachable.`);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as ErrorBody;
    throw new ApiProblem(
      kindOf(response.status),
      body.error?.message ?? `The export failed (${response.status}).`,
      response.status,
    );
  }
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
