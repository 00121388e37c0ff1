import type { ProviderAdapter } from "../adapter.ts";
import { openAICompatible } from "../openai-compatible/base.ts";
import { OPENAI_COMPATIBLE_PRESETS } from "../openai-compatible/presets.ts";
import type { ProviderTarget, TargetIssue } from "../provider.ts";

export const AZURE_DEFAULT_API_VERSION = "2024-10-21";
/** The Responses API needs a 2025 preview version; an older api_version is replaced by this one. */
export const AZURE_RESPONSES_API_VERSION = "2025-04-01-preview";

const deploymentOf = (t: ProviderTarget) => t.providerFields.deployment_id ?? t.providerFields.azure_deployment_name;
const versionOf = (t: ProviderTarget) =>
  t.providerFields.api_version ?? t.providerFields.azure_api_version ?? AZURE_DEFAULT_API_VERSION;

const rootOf = (target: ProviderTarget) =>
  (target.customHost ?? `https://${target.providerFields.resource_name}.openai.azure.com/openai`).replace(/\/+$/, "");

/**
 * Azure OpenAI: OpenAI's wire format at
 * `https://{resource_name}.openai.azure.com/openai/deployments/{deployment_id}/chat/completions?api-version=…`,
 * authenticated with an `api-key` header (or an Entra ID token as Bearer via azure_ad_token).
 * A custom_host replaces `https://{resource_name}.openai.azure.com/openai`.
 */
export const azureOpenAIAdapter: ProviderAdapter = openAICompatible({
  id: "azure-openai",
  baseUrl: "",
  auth: "bearer",
  authDescription: "api-key: <key> header (or azure_ad_token as Bearer); resource_name, deployment_id, api_version",
  capabilities: OPENAI_COMPATIBLE_PRESETS.openai.capabilities,
  models: [],
  // Azure's Responses API sits beside the deployments: /openai/responses (the deployment goes in `model`).
  responses: true,
  responsesStored: true,
  // DALL·E, TTS and Whisper deployments, at /deployments/{id}/images/generations, /audio/… .
  media: { images: true, speech: true, transcriptions: true },
  responsesUrl: (target) => {
    const version = versionOf(target) >= "2025-03-01" ? versionOf(target) : AZURE_RESPONSES_API_VERSION;
    return `${rootOf(target)}/responses?api-version=${encodeURIComponent(version)}`;
  },
  responsesModel: deploymentOf,
  url: (target, path) => {
    const root = rootOf(target);
    const deployment = encodeURIComponent(deploymentOf(target) ?? "");
    return `${root}/deployments/${deployment}${path}?api-version=${encodeURIComponent(versionOf(target))}`;
  },
  authHeaders: (target): Record<string, string> => {
    const token = target.providerFields.azure_ad_token;
    if (token) return { authorization: `Bearer ${token}` };
    return target.apiKey ? { "api-key": target.apiKey } : {};
  },
  validateTarget: (target): TargetIssue | null => {
    if (!deploymentOf(target)) {
      return { field: "deployment_id", message: "azure-openai needs deployment_id (the Azure deployment name)" };
    }
    if (!target.customHost && !target.providerFields.resource_name) {
      return { field: "resource_name", message: "azure-openai needs resource_name (the Azure OpenAI resource)" };
    }
    return null;
  },
});
