import { randomBytes } from "node:crypto";
import { sha256Hex } from "../auth/keys.ts";
import type { ApiKeyScope } from "../auth/scopes.ts";
import type { ApiKeyState, TenantState } from "./control-entities.ts";
import { ControlPlaneError } from "./control-errors.ts";
import { apiKeyRecordKey, savedConfigRecordKey, tenantRecordKey, virtualKeyRecordKey } from "./control-events.ts";
import { assertTopicOwned, type ControlEventDraft, type ControlWriter } from "./control-writer.ts";
import { promptDeletionDrafts } from "./prompt-commands.ts";

export interface NewTenant {
  id: string;
  name?: string | undefined;
  /** false: never store this tenant's prompt and answer bodies. Absent: on (the gateway's default). */
  log_bodies?: boolean | undefined;
}

export interface NewApiKey {
  name?: string | undefined;
  /** "admin" keys may read every tenant's analytics. Default "tenant". */
  role?: "tenant" | "admin" | undefined;
  /** What the key may do (auth/scopes.ts); absent: the default scopes. */
  scopes?: ApiKeyScope[] | undefined;
}

export interface CreatedApiKey {
  state: ApiKeyState;
  /** The raw key (`sy-…`). Returned once; only its SHA-256 is stored anywhere. */
  key: string;
}

/** Tenants and their gateway API keys. */
export class TenantCommands {
  private readonly writer: ControlWriter;

  constructor(writer: ControlWriter) {
    this.writer = writer;
  }

  create(input: NewTenant): Promise<TenantState> {
    return this.writer.exclusive(async () => {
      if (this.writer.view.tenant(input.id))
        throw new ControlPlaneError("conflict", `tenant ${input.id} already exists`, "id");
      const now = this.writer.now();
      const tenant: TenantState = {
        id: input.id,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.log_bodies !== undefined ? { log_bodies: input.log_bodies } : {}),
        version: this.writer.nextVersion(tenantRecordKey(input.id)),
        created_at: now,
        updated_at: now,
      };
      await this.writer.append([{ type: "tenant.upserted", tenant }]);
      return tenant;
    });
  }

  /** `name: null` clears the name; `log_bodies: null` returns to the default (on). */
  update(
    id: string,
    patch: { name?: string | null | undefined; log_bodies?: boolean | null | undefined },
  ): Promise<TenantState> {
    return this.writer.exclusive(async () => {
      const current = this.requireTenant(id);
      assertTopicOwned(current, `tenant ${id}`);
      const { name: _old, log_bodies: _oldLog, ...rest } = current.state;
      const name = patch.name === undefined ? current.state.name : (patch.name ?? undefined);
      const logBodies = patch.log_bodies === undefined ? current.state.log_bodies : (patch.log_bodies ?? undefined);
      const tenant: TenantState = {
        ...rest,
        ...(name !== undefined ? { name } : {}),
        ...(logBodies !== undefined ? { log_bodies: logBodies } : {}),
        version: this.writer.nextVersion(tenantRecordKey(id)),
        updated_at: this.writer.now(),
      };
      await this.writer.append([{ type: "tenant.upserted", tenant }]);
      return tenant;
    });
  }

  /**
   * Deletes the tenant and, in the same append, revokes its API keys and deletes its virtual keys
   * and saved configs, so a tenant later re-created with the same id starts empty.
   */
  delete(id: string): Promise<void> {
    return this.writer.exclusive(async () => {
      const current = this.requireTenant(id);
      assertTopicOwned(current, `tenant ${id}`);
      const { view } = this.writer;
      const now = this.writer.now();
      const drafts: ControlEventDraft[] = [];
      for (const { state, source } of view.apiKeys(id)) {
        if (source !== "control_topic" || state.revoked) continue;
        const version = this.writer.nextVersion(apiKeyRecordKey(state.id));
        drafts.push({ type: "api_key.revoked", api_key: { ...state, revoked: true, version, updated_at: now } });
      }
      for (const { state, source } of view.virtualKeys(id)) {
        if (source !== "control_topic") continue;
        const version = this.writer.nextVersion(virtualKeyRecordKey(id, state.id));
        drafts.push({ type: "virtual_key.deleted", tenant_id: id, virtual_key_id: state.id, version });
      }
      for (const { state, source } of view.savedConfigs(id)) {
        if (source !== "control_topic") continue;
        const version = this.writer.nextVersion(savedConfigRecordKey(id, state.id));
        drafts.push({ type: "saved_config.deleted", tenant_id: id, saved_config_id: state.id, version });
      }
      for (const { state, source } of view.prompts(id)) {
        if (source === "control_topic") drafts.push(...promptDeletionDrafts(this.writer, id, state.id));
      }
      drafts.push({ type: "tenant.deleted", tenant_id: id, version: this.writer.nextVersion(tenantRecordKey(id)) });
      await this.writer.append(drafts);
    });
  }

  createApiKey(tenantId: string, input: NewApiKey): Promise<CreatedApiKey> {
    return this.writer.exclusive(async () => {
      this.requireTenant(tenantId);
      const key = `sy-${randomBytes(32).toString("base64url")}`;
      const id = `ak_${randomBytes(9).toString("base64url")}`;
      const now = this.writer.now();
      const state: ApiKeyState = {
        id,
        tenant_id: tenantId,
        key_sha256: sha256Hex(key),
        role: input.role ?? "tenant",
        revoked: false,
        ...(input.scopes !== undefined ? { scopes: input.scopes } : {}),
        ...(input.name !== undefined ? { name: input.name } : {}),
        version: this.writer.nextVersion(apiKeyRecordKey(id)),
        created_at: now,
        updated_at: now,
      };
      await this.writer.append([{ type: "api_key.created", api_key: state }]);
      return { state, key };
    });
  }

  /** Idempotent: revoking a revoked key changes nothing. */
  revokeApiKey(tenantId: string, id: string): Promise<ApiKeyState> {
    return this.writer.exclusive(async () => {
      const current = this.writer.view.apiKey(id);
      if (!current || current.state.tenant_id !== tenantId) {
        throw new ControlPlaneError("api_key_not_found", `tenant ${tenantId} has no API key ${id}`);
      }
      assertTopicOwned(current, `API key ${id}`);
      if (current.state.revoked) return current.state;
      const state: ApiKeyState = {
        ...current.state,
        revoked: true,
        version: this.writer.nextVersion(apiKeyRecordKey(id)),
        updated_at: this.writer.now(),
      };
      await this.writer.append([{ type: "api_key.revoked", api_key: state }]);
      return state;
    });
  }

  private requireTenant(id: string) {
    const tenant = this.writer.view.tenant(id);
    if (!tenant) throw new ControlPlaneError("tenant_not_found", `tenant ${id} does not exist`);
    return tenant;
  }
}
