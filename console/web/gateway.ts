/**
 * The management pages' door to the gateway (another origin: the analytics API serves the console;
 * the gateway allows this origin by CORS). Where the gateway is comes from /console/config.json.
 * Prompt and limits calls carry the user's API key (its scopes decide what it may do). Management
 * calls (virtual keys, saved configs, guardrails: the admin API) carry the admin token when an
 * operator entered one (kept for this tab only), else the same API key: the gateway lets a key
 * with the management scopes manage its own tenant.
 */
import { ApiProblem, storedKey } from "./api.ts";

const ADMIN_TOKEN_STORAGE = "switchyard-console-admin-token";
const TIMEOUT_MS = 30_000;

let gatewayUrl: Promise<string | null> | null = null;

/** The gateway's URL as the analytics API knows it (null: it does not, e.g. a standalone analytics API). */
export function gatewayBase(): Promise<string | null> {
  gatewayUrl ??= fetch("/console/config.json")
    .then((r) => r.json() as Promise<{ gateway_url?: string | null }>)
    .then((c) => c.gateway_url ?? null)
    .catch(() => null);
  return gatewayUrl;
}

export function adminToken(): string | null {
  try {
    return sessionStorage.getItem(ADMIN_TOKEN_STORAGE);
  } catch {
    return null;
  }
}

export function storeAdminToken(token: string | null): void {
  if (token === null || token === "") sessionStorage.removeItem(ADMIN_TOKEN_STORAGE);
  else sessionStorage.setItem(ADMIN_TOKEN_STORAGE, token);
}

export interface GatewayAnswer<T> {
  body: T;
  headers: Headers;
  /** Wall time of the call as the browser saw it. */
  ms: number;
}

/**
 * Calls the gateway with the API key (`as: "key"`), the admin token (`as: "admin"`), or for the
 * management pages the admin token when there is one, else the API key (`as: "manage"`).
 */
export async function gatewayCall<T>(
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  options: { as: "key" | "admin" | "manage"; body?: unknown; headers?: Record<string, string> },
): Promise<GatewayAnswer<T>> {
  const base = await gatewayBase();
  if (base === null) {
    throw new ApiProblem(
      "unreachable",
      "This console does not know where the gateway is: run the whole stack with npm start, which tells it.",
    );
  }
  const credential =
    options.as === "admin" ? adminToken() : options.as === "manage" ? (adminToken() ?? storedKey()) : storedKey();
  if (credential === null) {
    const needs: Record<typeof options.as, string> = {
      admin: "This page needs the gateway's admin token (SWITCHYARD_ADMIN_TOKEN). Enter it above.",
      manage:
        "This page needs an API key with the management scopes (virtual_keys.read, configs.read, …), or an operator's admin token (below).",
      key: "This page needs an API key. Enter one to continue.",
    };
    throw new ApiProblem("auth", needs[options.as], 401);
  }
  const headers: Record<string, string> = {
    accept: "application/json",
    authorization: `Bearer ${credential}`,
    ...options.headers,
  };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new ApiProblem("timeout", `The gateway did not answer within ${TIMEOUT_MS / 1000} s.`);
    }
    throw new ApiProblem("unreachable", `The gateway at ${base} is unreachable. Is it running?`);
  }
  const ms = performance.now() - started;
  const body = (await response.json().catch(() => null)) as
    | (T & { error?: { message?: string; param?: string | null; code?: string } })
    | null;
  if (response.ok && body !== null) return { body, headers: response.headers, ms };
  const error = body?.error ?? {};
  const message = error.message ?? `The gateway answered ${response.status}.`;
  const kind =
    response.status === 401
      ? "auth"
      : response.status === 403
        ? "forbidden"
        : response.status === 404
          ? "not_found"
          : response.status >= 500
            ? "server"
            : "bad_request";
  throw new ApiProblem(kind, message, response.status, error.param ?? null, error.code ?? null);
}
