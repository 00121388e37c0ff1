import { SECRET_FIELDS } from "@switchyard/platform";
import type { ProviderTarget } from "../provider.ts";

/**
 * Masks credentials in upstream text before it is stored (event error_message → event log,
 * ClickHouse, trace API) or returned. Upstreams echo keys back ("Incorrect API key provided:
 * sk-…"), so every upstream error message passes through here (errors.ts) with the caller's own
 * credentials for the target that was called. Two nets:
 *  - the caller's own credentials, matched literally wherever they appear, whatever their shape;
 *  - anything shaped like a provider key, token or secret, whoever it belongs to.
 * A masked value keeps its public prefix (`sk-ant-***`) so an operator can still tell which kind
 * of key an upstream complained about. Pure and allocation-light: only error paths call it.
 */

export const MASK = "***";

/** Credentials shorter than this are not matched literally: masking "abc" in prose would garble it. */
const MIN_CREDENTIAL_LENGTH = 6;

// Each pattern's replacement keeps the key's public prefix; order matters (sk-ant- before sk-).
const KEY_SHAPES: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, `[private key ${MASK}]`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${MASK}`],
  [/\bsk-ant-[A-Za-z0-9_-]{6,}/g, `sk-ant-${MASK}`], // Anthropic
  [/\bsk-[A-Za-z0-9_-]{8,}/g, `sk-${MASK}`], // OpenAI (sk-proj-, sk-svcacct-), DeepSeek, OpenRouter (sk-or-)
  [/\bAIza[0-9A-Za-z_-]{20,}/g, `AIza${MASK}`], // Google API keys
  [/\b(AKIA|ASIA)[0-9A-Z]{12,}/g, `$1${MASK}`], // AWS access key ids
  [/\b(gsk_|xai-|pplx-|fw_|hf_|r8_|nvapi-|ghp_|github_pat_|glpat-|xox[abprs]-)[A-Za-z0-9_-]{12,}/g, `$1${MASK}`],
  [/\beyJ[A-Za-z0-9_-]{6,}\.eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g, `eyJ${MASK}`], // JWTs (Azure AD, service tokens)
  // key = value / "key": "value" / key: value, for names that hold secrets.
  [
    /\b((?:x-)?api[-_]?key|x-goog-api-key|access[-_]?token|refresh[-_]?token|session[-_]?token|client[-_]?secret|secret[-_]?(?:access[-_]?)?key|password)(["']?\s*[:=]\s*["']?)(?!\*)[^\s"',;&)]{6,}/gi,
    `$1$2${MASK}`,
  ],
  // Credentials in URLs: ?key=… and https://user:pass@host.
  [/([?&](?:key|api[-_]?key|access_token|token|sig|signature)=)[^&\s"'#]+/gi, `$1${MASK}`],
  [/(\/\/[^/\s:@"']+:)[^/\s@"']+@/g, `$1${MASK}@`],
];

/** `text` with the given credentials and anything shaped like a provider key masked. */
export function scrubSecrets(text: string, credentials: readonly string[] = []): string {
  let out = text;
  for (const credential of literalForms(credentials)) {
    if (out.includes(credential)) out = out.split(credential).join(MASK);
  }
  for (const [pattern, replacement] of KEY_SHAPES) out = out.replace(pattern, replacement);
  return out;
}

/** Each credential as given and as it appears inside a JSON string, longest first. */
function literalForms(credentials: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const credential of credentials) {
    if (credential.length < MIN_CREDENTIAL_LENGTH) continue;
    forms.add(credential);
    forms.add(JSON.stringify(credential).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set(SECRET_FIELDS);
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|cookie/i;

/**
 * The credentials a target carries: its api key, the secret provider fields (AWS keys, Azure AD
 * token, the Vertex service account and its private key), and values of forwarded headers whose
 * names say they hold a secret.
 */
export function targetCredentials(target: ProviderTarget): string[] {
  const out: string[] = [];
  if (target.apiKey) out.push(target.apiKey);
  for (const [field, value] of Object.entries(target.providerFields)) {
    if (!SECRET_FIELD_NAMES.has(field) || !value) continue;
    out.push(value);
    const privateKey = serviceAccountKey(value);
    if (privateKey) out.push(privateKey);
  }
  for (const [name, value] of Object.entries(target.forwardHeaders)) {
    if (SECRET_HEADER.test(name) && value) {
      out.push(value);
      const bearer = /^Bearer\s+(.+)$/i.exec(value)?.[1];
      if (bearer) out.push(bearer);
    }
  }
  return out;
}

function serviceAccountKey(value: string): string | null {
  if (!value.startsWith("{")) return null;
  try {
    const parsed = JSON.parse(value) as { private_key?: unknown };
    return typeof parsed.private_key === "string" ? parsed.private_key : null;
  } catch {
    return null;
  }
}
