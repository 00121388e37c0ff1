import { PLAIN_FIELDS, type PlainField, SECRET_FIELDS, type SecretField } from "@switchyard/platform";
import { z } from "zod";

/**
 * Provider-specific keys a Portkey leaf target may carry (Azure, AWS, Vertex, OpenAI,
 * Anthropic, Workers AI). They are accepted as optional strings, checked for nothing more,
 * and handed to the provider adapter untouched as ResolvedLeaf.providerFields. They belong
 * to leaves: a target with children that sets one is refused, because nothing inherits them.
 *
 * The names are the control plane's virtual-key fields (one list, in platform/src/control):
 * every plain and secret field except the three a leaf carries under its own key or shape
 * (custom_host, api_key, the structured Vertex service account).
 */
const OWN_KEYS: ReadonlySet<string> = new Set(["custom_host", "api_key", "vertex_service_account_json"]);
export const PROVIDER_STRING_FIELDS = [...PLAIN_FIELDS, ...SECRET_FIELDS].filter(
  (field) => !OWN_KEYS.has(field),
) as ReadonlyArray<Exclude<PlainField | SecretField, "custom_host" | "api_key" | "vertex_service_account_json">>;

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
