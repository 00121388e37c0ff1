import { readFile } from "node:fs/promises";
import { formatIssue } from "@switchyard/events";
import { LineCounter, parseDocument } from "yaml";
import { PLAIN_FIELDS, type PlainField, SECRET_FIELDS, scopedId, type VirtualKeyState } from "./control-entities.ts";
import { ControlLayer } from "./control-state.ts";
import { DeclarativeFile, type FileVirtualKey } from "./declarative-file-schema.ts";
import { loadFilePrompts, type PromptTemplateValidator } from "./declarative-prompts.ts";
import type { GuardrailValidator } from "./guardrail-entities.ts";
import { fileLimitPolicies } from "./limit-policy-file.ts";
import type { Vault } from "./vault.ts";
import { type RevealedSecrets, sealVirtualKeySecrets } from "./virtual-key-credentials.ts";

/** Checks a saved config against the gateway's config schema: one "path: message" line per problem. */
export type SavedConfigValidator = (config: Record<string, unknown>) => readonly string[];

export interface DeclarativeFileOptions {
  /** Where `${VAR}` references in virtual keys are resolved (main passes process.env). */
  env: Readonly<Record<string, string | undefined>>;
  vault: Vault | null;
  /**
   * "load": resolve and encrypt virtual keys (the gateway). "skip": ignore them, so a process that
   * never calls providers (analytics) never holds provider secrets or needs the master key.
   */
  virtualKeys: "load" | "skip";
  validateConfig?: SavedConfigValidator | undefined;
  /** Checks prompt templates as the gateway renders them. */
  validatePromptTemplate?: PromptTemplateValidator | undefined;
  /** Checks saved guardrails' checks against the gateway's built-ins. */
  validateGuardrail?: GuardrailValidator | undefined;
  /** Provider ids the gateway knows; unknown ones are refused at load. */
  knownProviders?: readonly string[] | undefined;
  now?: () => Date;
}

export type DeclarativeFileResult =
  | { ok: true; layer: ControlLayer; warnings: string[] }
  | { ok: false; errors: string[] };

export async function loadDeclarativeFile(
  path: string,
  options: DeclarativeFileOptions,
): Promise<DeclarativeFileResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    return { ok: false, errors: [`cannot read ${path}: ${(error as Error).message}`] };
  }
  return parseDeclarativeFile(text, options);
}

/** YAML text → the file's control layer, or every problem with the path of the failing field. */
export function parseDeclarativeFile(text: string, options: DeclarativeFileOptions): DeclarativeFileResult {
  // No pretty errors: they quote the offending line, which could hold a literal secret.
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    const at = (offset: number) => {
      const { line, col } = lines.linePos(offset);
      return `line ${line}, column ${col}`;
    };
    return { ok: false, errors: doc.errors.map((e) => `YAML at ${at(e.pos[0])}: ${e.message}`) };
  }
  let value: unknown;
  try {
    value = doc.toJS() ?? {};
  } catch (error) {
    // Parsed but not resolvable: an alias to no anchor, or more aliases than yaml allows (an alias bomb).
    return { ok: false, errors: [`YAML: ${(error as Error).message}`] };
  }
  const parsed = DeclarativeFile.safeParse(value);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => formatIssue(i, { style: "bracketed" })) };
  }
  const at = (options.now ?? (() => new Date()))().toISOString();
  const stamp = { version: 0, created_at: at, updated_at: at };
  const errors: string[] = [];
  const warnings: string[] = [];
  const layer = new ControlLayer();

  parsed.data.tenants.forEach((tenant, t) => {
    layer.tenants.set(tenant.id, {
      id: tenant.id,
      ...(tenant.name ? { name: tenant.name } : {}),
      ...(tenant.log_bodies !== undefined ? { log_bodies: tenant.log_bodies } : {}),
      ...stamp,
    });
    for (const policy of fileLimitPolicies(tenant, stamp)) {
      layer.limitPolicies.set(scopedId(tenant.id, policy.id), policy);
    }
    for (const { key: _never, usage_limits: _u, rate_limits: _r, ...key } of tenant.api_keys) {
      layer.apiKeys.set(key.id, { ...key, tenant_id: tenant.id, ...stamp });
    }
    tenant.saved_configs.forEach((config, c) => {
      const issues = options.validateConfig?.(config.config) ?? [];
      for (const issue of issues) errors.push(`tenants[${t}].saved_configs[${c}].config: ${issue}`);
      layer.savedConfigs.set(scopedId(tenant.id, config.id), { ...config, tenant_id: tenant.id, ...stamp });
    });
    tenant.guardrails.forEach((guardrail, g) => {
      for (const issue of options.validateGuardrail?.(guardrail.checks) ?? []) {
        errors.push(`tenants[${t}].guardrails[${g}].${issue}`);
      }
      layer.savedGuardrails.set(scopedId(tenant.id, guardrail.id), { ...guardrail, tenant_id: tenant.id, ...stamp });
    });
    loadFilePrompts(
      layer,
      tenant.id,
      tenant.prompts,
      `tenants[${t}].prompts`,
      stamp,
      errors,
      options.validatePromptTemplate,
    );
    if (options.virtualKeys === "skip" || tenant.virtual_keys.length === 0) return;
    if (!options.vault) {
      errors.push(
        `tenants[${t}].virtual_keys: virtual keys need SWITCHYARD_MASTER_KEY (their secrets are encrypted in memory)`,
      );
      return;
    }
    tenant.virtual_keys.forEach((vk, v) => {
      const path = `tenants[${t}].virtual_keys[${v}]`;
      if (options.knownProviders && !options.knownProviders.includes(vk.provider)) {
        errors.push(`${path}.provider: unknown provider ${vk.provider} (known: ${options.knownProviders.join(", ")})`);
      }
      const resolved = resolveVirtualKeyFields(vk, path, options.env, errors, warnings);
      const state: VirtualKeyState = {
        id: vk.id,
        tenant_id: tenant.id,
        ...(vk.name ? { name: vk.name } : {}),
        provider: vk.provider,
        secrets: sealVirtualKeySecrets(options.vault!, tenant.id, vk.id, resolved.secrets),
        fields: resolved.fields,
        disabled: vk.disabled,
        ...stamp,
      };
      layer.virtualKeys.set(scopedId(tenant.id, vk.id), state);
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, layer, warnings };
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Resolves `${VAR}` references in a virtual key's fields; literal secrets work but get a warning. */
function resolveVirtualKeyFields(
  vk: FileVirtualKey,
  path: string,
  env: DeclarativeFileOptions["env"],
  errors: string[],
  warnings: string[],
): { secrets: RevealedSecrets; fields: Partial<Record<PlainField, string>> } {
  const resolve = (field: string, value: string): string =>
    value.replace(ENV_REFERENCE, (_match, name: string) => {
      const found = env[name];
      if (found === undefined || found === "") {
        errors.push(`${path}.${field}: environment variable ${name} is not set`);
        return "";
      }
      return found;
    });
  const secrets: RevealedSecrets = {};
  for (const field of SECRET_FIELDS) {
    const value = vk[field];
    if (value === undefined) continue;
    if (!value.includes("${")) warnings.push(`${path}.${field}: a literal secret; prefer a \${ENV_VAR} reference`);
    secrets[field] = resolve(field, value);
  }
  const fields: Partial<Record<PlainField, string>> = {};
  for (const field of PLAIN_FIELDS) {
    const value = vk[field];
    if (value !== undefined) fields[field] = resolve(field, value);
  }
  return { secrets, fields };
}
