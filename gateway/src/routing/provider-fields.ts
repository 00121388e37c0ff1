import { z } from "zod";

/**
 * Provider-specific keys a Portkey leaf target may carry (Azure, AWS, Vertex, OpenAI,
 * Anthropic, Workers AI). They are accepted as optional strings, checked for nothing more,
 * and handed to the provider adapter untouched as ResolvedLeaf.providerFields. They belong
 * to leaves: a target with children that sets one is refused, because nothing inherits them.
 */
export const PROVIDER_STRING_FIELDS = [
  // Azure OpenAI
  "resource_name",
  "deployment_id",
  "api_version",
  "azure_auth_mode",
  "azure_managed_client_id",
  "azure_entra_client_id",
  "azure_entra_client_secret",
  "azure_entra_tenant_id",
  "azure_ad_token",
  "azure_model_name",
  "azure_deployment_name",
  "azure_api_version",
  "azure_foundry_url",
  // AWS Bedrock / SageMaker
  "aws_region",
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "aws_auth_type",
  "aws_role_arn",
  "aws_external_id",
  // Google Vertex AI
  "vertex_project_id",
  "vertex_region",
  // OpenAI
  "openai_project",
  "openai_organization",
  "openai_beta",
  // Anthropic
  "anthropic_beta",
  "anthropic_version",
  // Cloudflare Workers AI
  "workers_ai_account_id",
] as const;

/** The one structured provider field: a Vertex service-account key, carried serialized in providerFields. */
export const VERTEX_SERVICE_ACCOUNT_JSON = "vertex_service_account_json";

export const PROVIDER_FIELD_KEYS: readonly string[] = [...PROVIDER_STRING_FIELDS, VERTEX_SERVICE_ACCOUNT_JSON];

const optionalString = z.string().min(1).optional();

export const providerFieldsShape = {
  ...(Object.fromEntries(PROVIDER_STRING_FIELDS.map((key) => [key, optionalString])) as Record<
    (typeof PROVIDER_STRING_FIELDS)[number],
    typeof optionalString
  >),
  [VERTEX_SERVICE_ACCOUNT_JSON]: z.record(z.string(), z.string()).optional(),
};

/** The provider fields a parsed target set, as strings (the service-account object as JSON). */
export function providerFieldsOf(target: Readonly<Record<string, unknown>>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const key of PROVIDER_STRING_FIELDS) {
    const value = target[key];
    if (typeof value === "string") fields[key] = value;
  }
  const serviceAccount = target[VERTEX_SERVICE_ACCOUNT_JSON];
  if (serviceAccount !== undefined) fields[VERTEX_SERVICE_ACCOUNT_JSON] = JSON.stringify(serviceAccount);
  return fields;
}
