/**
 * Which credential fields a virtual key of each provider takes, each typed into its own masked
 * input. No DOM here, so a test can hold SECRET_NAMES to platform's SECRET_FIELDS (the admin API's
 * list of what it encrypts and never shows): the console bundle does not ship zod or platform.
 */

/** Every secret field the admin API knows, with the words its input is labelled with. */
export const SECRET_NAMES = {
  api_key: "Provider API key",
  aws_access_key_id: "AWS access key id",
  aws_secret_access_key: "AWS secret access key",
  aws_session_token: "AWS session token",
  vertex_service_account_json: "Vertex service account (JSON)",
  azure_ad_token: "Azure AD token",
  azure_entra_client_secret: "Azure Entra client secret",
} as const;
export type SecretName = keyof typeof SECRET_NAMES;

/** The secrets each provider's adapter reads (gateway/src/providers/*); others take an API key. */
const AWS: SecretName[] = ["aws_access_key_id", "aws_secret_access_key", "aws_session_token", "api_key"];
const AZURE: SecretName[] = ["api_key", "azure_ad_token", "azure_entra_client_secret"];
const BY_PROVIDER: Record<string, SecretName[]> = {
  bedrock: AWS,
  "aws-bedrock": AWS,
  "azure-openai": AZURE,
  azure: AZURE,
  "vertex-ai": ["vertex_service_account_json", "api_key"],
};
/** Providers offered in the form's list (any provider the gateway knows may be typed). */
export const PROVIDERS = [
  "openai",
  "anthropic",
  "azure-openai",
  "bedrock",
  "vertex-ai",
  "google",
  "mistral",
  "groq",
  "together",
  "mock",
];

/** The provider's secret fields (its Portkey alias included); every other provider takes an API key. */
export function secretsOf(provider: string): SecretName[] {
  return BY_PROVIDER[provider.trim()] ?? ["api_key"];
}

/**
 * Why the "Other fields" JSON may not be sent, in words, or null when it may: it must be an
 * object and name no secret (a secret typed there would sit in plain sight in the box).
 */
export function otherFieldsProblem(value: unknown): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return 'Other fields must be a JSON object, e.g. {"aws_region": "us-east-1"}.';
  }
  const secret = Object.keys(value).filter((k): k is SecretName => k in SECRET_NAMES);
  if (secret.length === 0) return null;
  const named = secret.map((k) => `${k} (type it into "${SECRET_NAMES[k]}")`).join(", ");
  return `Other fields are for settings that are not secret: remove ${named}. Secrets go only into their masked fields, which are never shown again.`;
}
