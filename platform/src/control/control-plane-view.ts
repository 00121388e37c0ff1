import type { ApiKeyRecord, KeyStore } from "../auth/keys.ts";
import type { Logger } from "../logger.ts";
import {
  type ApiKeyState,
  type PlainField,
  type SavedConfigState,
  scopedId,
  type TenantState,
  type VirtualKeyState,
} from "./control-entities.ts";
import type { ControlEvent } from "./control-events.ts";
import { ControlLayer, ControlState } from "./control-state.ts";
import type { SavedGuardrailState } from "./guardrail-entities.ts";
import { findSourced, type Layers, mergeSourced, type Sourced, tenantSourced } from "./layered-lookup.ts";
import type { LimitPolicyState } from "./limit-policy.ts";
import type { PromptState, PromptVersionState } from "./prompt-entities.ts";
import type { Vault } from "./vault.ts";
import { VirtualKeyCredentials } from "./virtual-key-credentials.ts";

export type { EntitySource, Sourced } from "./layered-lookup.ts";

export type VirtualKeyLookup =
  | {
      status: "ok";
      id: string;
      tenantId: string;
      provider: string;
      /** Decrypted on first use; toJSON/inspect never show the values. */
      credentials: VirtualKeyCredentials;
      /** Non-secret provider settings (resource_name, aws_region, custom_host, …). */
      fields: Readonly<Partial<Record<PlainField, string>>>;
      version: number;
    }
  | { status: "disabled"; id: string; tenantId: string }
  | { status: "unknown" };

export interface ControlPlaneViewOptions {
  /** Fed with the effective API keys after every change; gateway and analytics auth read it. */
  keys: KeyStore;
  /** Null without SWITCHYARD_MASTER_KEY: virtual keys are then known but unusable. */
  vault: Vault | null;
  logger: Logger;
  /** SWITCHYARD_KEYS_FILE records: a static layer between the control topic and the declarative file. */
  seedKeys?: readonly ApiKeyRecord[];
  now?: () => Date;
}

/**
 * The in-memory control plane every gateway (and analytics) replica folds from the control
 * topic, overlaid by the declarative file. Precedence, highest first: declarative file, keys
 * file, control topic — the file is the truth for the ids it declares (GitOps), and the admin API
 * refuses to change those ids. Lookups are plain map reads: this sits on the request path.
 */
export class ControlPlaneView {
  readonly keys: KeyStore;
  readonly vault: Vault | null;
  private readonly logger: Logger;
  private readonly topic = new ControlState();
  private readonly seed = new ControlLayer();
  private file = new ControlLayer();
  private readonly resolved = new WeakMap<VirtualKeyState, VirtualKeyLookup>();
  private readonly foldWaiters = new Map<string, () => void>();
  /** Each tenant's effective limit policies, rebuilt after a change (read on every request). */
  private limitPolicyCache = new Map<string, readonly LimitPolicyState[]>();
  private readonly readyLatch: Promise<void>;
  private releaseReady: () => void = () => undefined;
  private readyFlag = false;

  constructor(options: ControlPlaneViewOptions) {
    this.keys = options.keys;
    this.vault = options.vault;
    this.logger = options.logger;
    const at = (options.now ?? (() => new Date()))().toISOString();
    for (const record of options.seedKeys ?? []) {
      this.seed.apiKeys.set(record.id, { ...record, version: 0, created_at: at, updated_at: at });
    }
    this.readyLatch = new Promise((resolve) => {
      this.releaseReady = resolve;
    });
    this.refreshKeyStore();
  }

  // ---- folding -------------------------------------------------------------------------------

  /** Folds control-topic events in offset order, then wakes writers waiting for them. */
  fold(events: readonly ControlEvent[]): void {
    let touchesKeys = false;
    for (const event of events) {
      this.topic.apply(event);
      if (event.type.startsWith("api_key.")) touchesKeys = true;
      if (event.type.startsWith("limit_policy.")) this.limitPolicyCache = new Map();
    }
    if (touchesKeys) this.refreshKeyStore();
    for (const event of events) {
      const wake = this.foldWaiters.get(event.event_id);
      if (wake) {
        this.foldWaiters.delete(event.event_id);
        wake();
      }
    }
  }

  /** Swaps in a freshly loaded declarative file (whole layer at once, so no half-applied reload). */
  replaceFileLayer(layer: ControlLayer): void {
    this.file = layer;
    this.limitPolicyCache = new Map();
    this.refreshKeyStore();
  }

  /** Called once the control topic's backlog (as of start) has been folded. */
  markReady(): void {
    if (this.readyFlag) return;
    this.readyFlag = true;
    this.releaseReady();
  }

  /** Resolves once the backlog is folded; the gateway does not serve before. */
  ready(): Promise<void> {
    return this.readyLatch;
  }

  get isReady(): boolean {
    return this.readyFlag;
  }

  /**
   * Registers interest in events *before* they are published (they may be folded before
   * publish() returns). `cancel` drops the wait when publishing failed.
   */
  expectFolded(eventIds: readonly string[], timeoutMs: number): { folded: Promise<void>; cancel: () => void } {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cancel = () => {
      clearTimeout(timer);
      for (const id of eventIds) this.foldWaiters.delete(id);
    };
    const waits = eventIds.map((id) => new Promise<void>((resolve) => this.foldWaiters.set(id, resolve)));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        cancel();
        reject(new Error(`control events were published but not folded within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const folded = Promise.race([Promise.all(waits).then(() => undefined), timeout]).finally(() => clearTimeout(timer));
    // Awaited only after the writer's publish, which can outlast the timeout: never an unhandled rejection.
    folded.catch(() => undefined);
    return { folded, cancel };
  }

  /** The control-topic version of a record key (for the writer's next version). */
  topicVersionOf(recordKey: string): number {
    return this.topic.versionOf(recordKey);
  }

  // ---- request path ---------------------------------------------------------------------------

  /** A tenant's virtual key. Disabled keys say so (a specific 4xx), deleted ones are unknown. */
  virtualKey(tenantId: string, id: string): VirtualKeyLookup {
    const found = this.find((l) => l.virtualKeys, scopedId(tenantId, id));
    if (!found) return { status: "unknown" };
    const state = found.state;
    if (state.disabled) return { status: "disabled", id: state.id, tenantId: state.tenant_id };
    let lookup = this.resolved.get(state);
    if (!lookup) {
      lookup = {
        status: "ok",
        id: state.id,
        tenantId: state.tenant_id,
        provider: state.provider,
        credentials: new VirtualKeyCredentials(state, this.vault),
        fields: Object.freeze({ ...state.fields }),
        version: state.version,
      };
      this.resolved.set(state, lookup);
    }
    return lookup;
  }

  /** A tenant's saved config (`pc-…`) as raw JSON; the caller validates it with the config schema. */
  savedConfig(tenantId: string, id: string): unknown | undefined {
    return this.find((l) => l.savedConfigs, scopedId(tenantId, id))?.state.config;
  }

  /** A tenant's saved guardrail (`pg-…`), as configs name it; another tenant's id is not found. */
  savedGuardrail(tenantId: string, id: string): SavedGuardrailState | undefined {
    return this.savedGuardrailState(tenantId, id)?.state;
  }

  savedGuardrailState(tenantId: string, id: string): Sourced<SavedGuardrailState> | undefined {
    return this.find((l) => l.savedGuardrails, scopedId(tenantId, id));
  }

  savedGuardrails(tenantId: string): Sourced<SavedGuardrailState>[] {
    return tenantSourced(this.layers(), (l) => l.savedGuardrails, tenantId);
  }

  /** A tenant's limit policies (attached limits included), file layer first as everywhere. */
  limitPolicies(tenantId: string): readonly LimitPolicyState[] {
    let found = this.limitPolicyCache.get(tenantId);
    if (found === undefined) {
      found = Object.freeze(
        this.merged((l) => l.limitPolicies).flatMap((p) => (p.state.tenant_id === tenantId ? [p.state] : [])),
      );
      this.limitPolicyCache.set(tenantId, found);
    }
    return found;
  }

  limitPolicyState(tenantId: string, id: string): Sourced<LimitPolicyState> | undefined {
    return this.find((l) => l.limitPolicies, scopedId(tenantId, id));
  }

  limitPolicyStates(tenantId: string): Sourced<LimitPolicyState>[] {
    return tenantSourced(this.layers(), (l) => l.limitPolicies, tenantId);
  }

  /** A tenant's prompt or partial (its head: name, default version, labels). */
  promptState(tenantId: string, id: string): Sourced<PromptState> | undefined {
    return this.find((l) => l.prompts, scopedId(tenantId, id));
  }

  prompts(tenantId: string): Sourced<PromptState>[] {
    return tenantSourced(this.layers(), (l) => l.prompts, tenantId);
  }

  /** One version of a prompt, from the layer that declares the prompt (a file never mixes with the topic's versions). */
  promptVersion(tenantId: string, id: string, version: number): PromptVersionState | undefined {
    return this.promptLayer(tenantId, id)?.promptVersions.get(scopedId(tenantId, id))?.get(version);
  }

  /** Every version of a prompt, oldest first. */
  promptVersions(tenantId: string, id: string): PromptVersionState[] {
    const versions = this.promptLayer(tenantId, id)?.promptVersions.get(scopedId(tenantId, id));
    return versions ? [...versions.values()].sort((a, b) => a.version - b.version) : [];
  }

  private promptLayer(tenantId: string, id: string): ControlLayer | undefined {
    const key = scopedId(tenantId, id);
    return this.layers().find(([layer]) => layer.prompts.has(key))?.[0];
  }

  // ---- admin reads ----------------------------------------------------------------------------

  tenant(id: string): Sourced<TenantState> | undefined {
    return this.find((l) => l.tenants, id);
  }

  tenants(): Sourced<TenantState>[] {
    return this.merged((l) => l.tenants);
  }

  apiKey(id: string): Sourced<ApiKeyState> | undefined {
    return this.find((l) => l.apiKeys, id);
  }

  apiKeys(tenantId: string): Sourced<ApiKeyState>[] {
    return tenantSourced(this.layers(), (l) => l.apiKeys, tenantId);
  }

  virtualKeyState(tenantId: string, id: string): Sourced<VirtualKeyState> | undefined {
    return this.find((l) => l.virtualKeys, scopedId(tenantId, id));
  }

  virtualKeys(tenantId: string): Sourced<VirtualKeyState>[] {
    return tenantSourced(this.layers(), (l) => l.virtualKeys, tenantId);
  }

  savedConfigState(tenantId: string, id: string): Sourced<SavedConfigState> | undefined {
    return this.find((l) => l.savedConfigs, scopedId(tenantId, id));
  }

  savedConfigs(tenantId: string): Sourced<SavedConfigState>[] {
    return tenantSourced(this.layers(), (l) => l.savedConfigs, tenantId);
  }

  // ---- layering -------------------------------------------------------------------------------

  /** Highest precedence first. */
  private layers(): Layers {
    return [
      [this.file, "config_file"],
      [this.seed, "keys_file"],
      [this.topic, "control_topic"],
    ];
  }

  private find<T>(pick: (layer: ControlLayer) => Map<string, T>, key: string): Sourced<T> | undefined {
    return findSourced(this.layers(), pick, key);
  }

  private merged<T>(pick: (layer: ControlLayer) => Map<string, T>): Sourced<T>[] {
    return mergeSourced(this.layers(), pick);
  }

  private refreshKeyStore(): void {
    const records = this.merged((l) => l.apiKeys).map(({ state }) => state);
    this.keys.replace(records);
    this.logger.debug({ apiKeys: records.length }, "control plane: API keys refreshed");
  }
}
