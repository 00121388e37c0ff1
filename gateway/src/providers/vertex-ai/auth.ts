import { createHash } from "node:crypto";
import { importPKCS8, SignJWT } from "jose";
import { LRUCache } from "lru-cache";
import type { Dispatcher } from "undici";
import { z } from "zod";
import { RequestRejected } from "../shared/rejected.ts";
import { postUpstream } from "../upstream-http.ts";

/**
 * Google OAuth for Vertex AI: a service account's key signs a JWT (RS256, `jose`), exchanged at
 * Google's token endpoint for an access token. Tokens are cached per service account until shortly
 * before they expire (Portkey's open-source gateway fetches one per request), and a refresh that
 * many requests need at once is made once: they all wait on the same exchange. A failed exchange
 * is a 401 naming the cause — never an empty bearer sent upstream. The token endpoint is a
 * deployment setting (tests point it at a fake), never the service account's own `token_uri`: a
 * client-supplied key must not make the gateway post to an address of its choosing.
 */
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
const SCOPE = "https://www.googleapis.com/auth/cloud-platform";
/** A token is replaced this long before Google says it expires (clock skew, long requests). */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

export const ServiceAccount = z.looseObject({
  type: z.literal("service_account", { error: 'type must be "service_account"' }).optional(),
  client_email: z.string().min(3).max(320),
  private_key: z.string().includes("PRIVATE KEY", { message: "private_key must be a PEM private key" }).max(8192),
  private_key_id: z.string().max(128).optional(),
  project_id: z.string().max(128).optional(),
});
export type ServiceAccount = z.infer<typeof ServiceAccount>;

/** The service account in `json`, or why it is unusable (no secret in the message). */
export function parseServiceAccount(json: string): { ok: true; account: ServiceAccount } | { ok: false; why: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { ok: false, why: "vertex_service_account_json is not valid JSON" };
  }
  const parsed = ServiceAccount.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "(root)";
    return { ok: false, why: `vertex_service_account_json: ${field}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, account: parsed.data };
}

interface CachedToken {
  token: string;
  /** Date.now() after which the token is no longer handed out. */
  refreshAt: number;
}

export interface TokenSourceOptions {
  dispatcher: Dispatcher;
  tokenUrl?: string;
  /** Cached service accounts (each entry: one token). */
  maxAccounts?: number;
  /** The clock the cache expires by (tests move it); the JWT itself is always signed with real time. */
  now?: () => number;
}

/** Access tokens per service account: cached, refreshed once under concurrency. */
export class VertexTokenSource {
  readonly tokenUrl: string;
  /** Token exchanges made (for tests and metrics): a cached or shared token adds none. */
  exchanges = 0;
  private readonly dispatcher: Dispatcher;
  private readonly now: () => number;
  private readonly cache: LRUCache<string, CachedToken>;
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(options: TokenSourceOptions) {
    this.dispatcher = options.dispatcher;
    this.tokenUrl = options.tokenUrl ?? GOOGLE_TOKEN_URL;
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache({ max: options.maxAccounts ?? 1000 });
  }

  /** A valid access token for the account whose JSON is `json` (already validated by validateTarget). */
  async token(json: string, signal: AbortSignal): Promise<string> {
    // Keyed by a digest of the key material: the cache never holds the key itself as a map key.
    const key = createHash("sha256").update(json).digest("base64url");
    const cached = this.cache.get(key);
    if (cached && cached.refreshAt > this.now()) return cached.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.exchange(json, signal).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const fresh = await pending;
    this.cache.set(key, fresh);
    return fresh.token;
  }

  private async exchange(json: string, signal: AbortSignal): Promise<CachedToken> {
    const parsed = parseServiceAccount(json);
    if (!parsed.ok) throw new RequestRejected(parsed.why, "vertex_service_account_json", "invalid_service_account");
    const account = parsed.account;
    let assertion: string;
    try {
      const key = await importPKCS8(account.private_key, "RS256");
      // Google checks iat/exp against its own clock: always the real time (`now` drives only the cache).
      const issuedAt = Math.floor(Date.now() / 1000);
      assertion = await new SignJWT({ scope: SCOPE })
        .setProtectedHeader({
          alg: "RS256",
          typ: "JWT",
          ...(account.private_key_id ? { kid: account.private_key_id } : {}),
        })
        .setIssuer(account.client_email)
        .setAudience(this.tokenUrl)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + 3600)
        .sign(key);
    } catch {
      throw rejected("the service account's private_key could not sign a token (not an RSA PKCS#8 key)");
    }
    this.exchanges += 1;
    const response = await postUpstream({
      dispatcher: this.dispatcher,
      url: this.tokenUrl,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString(),
      signal,
    });
    const text = await response.body.text();
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: reported by status below
    }
    if (response.statusCode !== 200 || typeof body.access_token !== "string" || body.access_token === "") {
      const reason = [body.error, body.error_description].filter((v) => typeof v === "string").join(": ");
      throw rejected(
        `Google token exchange failed (${response.statusCode}${reason ? `, ${reason.slice(0, 200)}` : ""})`,
      );
    }
    const lifetimeMs = (typeof body.expires_in === "number" ? body.expires_in : 3600) * 1000;
    return { token: body.access_token, refreshAt: this.now() + Math.max(0, lifetimeMs - TOKEN_REFRESH_MARGIN_MS) };
  }
}

function rejected(message: string): RequestRejected {
  return new RequestRejected(message, "vertex_service_account_json", "vertex_auth_failed", 401);
}
