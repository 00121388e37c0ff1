import {
  type ApiKeyState,
  type SavedConfigState,
  scopedId,
  type TenantState,
  type VirtualKeyState,
} from "./control-entities.ts";
import { type ControlEvent, controlEventVersion, controlRecordKey } from "./control-events.ts";
import type { SavedGuardrailState } from "./guardrail-entities.ts";
import type { LimitPolicyState } from "./limit-policy.ts";
import type { PromptState, PromptVersionState } from "./prompt-entities.ts";

/**
 * One layer of control-plane state: the entities one source (the control topic, the declarative
 * file, the keys file) declares. Tenant-scoped maps are keyed by `scopedId(tenant, id)`.
 */
export class ControlLayer {
  readonly tenants = new Map<string, TenantState>();
  readonly apiKeys = new Map<string, ApiKeyState>();
  readonly virtualKeys = new Map<string, VirtualKeyState>();
  readonly savedConfigs = new Map<string, SavedConfigState>();
  readonly savedGuardrails = new Map<string, SavedGuardrailState>();
  readonly limitPolicies = new Map<string, LimitPolicyState>();
  /** Prompts and partials by `scopedId(tenant, id)`; their versions by the same key, then number. */
  readonly prompts = new Map<string, PromptState>();
  readonly promptVersions = new Map<string, Map<number, PromptVersionState>>();

  addPromptVersion(state: PromptVersionState): void {
    const key = scopedId(state.tenant_id, state.prompt_id);
    let versions = this.promptVersions.get(key);
    if (!versions) {
      versions = new Map();
      this.promptVersions.set(key, versions);
    }
    versions.set(state.version, state);
  }
}

/**
 * The control topic folded: every event replaces its entity's whole state (or removes it), last
 * event by offset wins. That makes folding every event and folding only the latest event per
 * record key (what Kafka compaction leaves) give the same state. Versions are kept per record key,
 * deletions included, so a writer can give the next event of an entity the next number.
 */
export class ControlState extends ControlLayer {
  private readonly versions = new Map<string, number>();

  /** The entity's last version (0 if it never existed). */
  versionOf(recordKey: string): number {
    return this.versions.get(recordKey) ?? 0;
  }

  apply(event: ControlEvent): void {
    this.versions.set(controlRecordKey(event), controlEventVersion(event));
    switch (event.type) {
      case "tenant.upserted":
        this.tenants.set(event.tenant.id, event.tenant);
        return;
      case "tenant.deleted":
        this.tenants.delete(event.tenant_id);
        return;
      case "api_key.created":
      case "api_key.revoked":
        this.apiKeys.set(event.api_key.id, event.api_key);
        return;
      case "virtual_key.upserted":
      case "virtual_key.disabled":
        this.virtualKeys.set(scopedId(event.virtual_key.tenant_id, event.virtual_key.id), event.virtual_key);
        return;
      case "virtual_key.deleted":
        this.virtualKeys.delete(scopedId(event.tenant_id, event.virtual_key_id));
        return;
      case "saved_config.upserted":
        this.savedConfigs.set(scopedId(event.saved_config.tenant_id, event.saved_config.id), event.saved_config);
        return;
      case "saved_config.deleted":
        this.savedConfigs.delete(scopedId(event.tenant_id, event.saved_config_id));
        return;
      case "saved_guardrail.upserted":
        this.savedGuardrails.set(
          scopedId(event.saved_guardrail.tenant_id, event.saved_guardrail.id),
          event.saved_guardrail,
        );
        return;
      case "saved_guardrail.deleted":
        this.savedGuardrails.delete(scopedId(event.tenant_id, event.saved_guardrail_id));
        return;
      case "prompt.upserted":
        this.prompts.set(scopedId(event.prompt.tenant_id, event.prompt.id), event.prompt);
        return;
      case "prompt.deleted":
        this.prompts.delete(scopedId(event.tenant_id, event.prompt_id));
        return;
      case "prompt_version.added":
        this.addPromptVersion(event.prompt_version);
        return;
      case "prompt_version.deleted": {
        const key = scopedId(event.tenant_id, event.prompt_id);
        const versions = this.promptVersions.get(key);
        versions?.delete(event.prompt_version);
        if (versions?.size === 0) this.promptVersions.delete(key);
        return;
      }
      case "limit_policy.upserted":
        this.limitPolicies.set(scopedId(event.limit_policy.tenant_id, event.limit_policy.id), event.limit_policy);
        return;
      case "limit_policy.deleted":
        this.limitPolicies.delete(scopedId(event.tenant_id, event.limit_policy_id));
        return;
    }
  }
}
