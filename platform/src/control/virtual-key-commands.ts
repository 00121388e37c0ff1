import { randomBytes } from "node:crypto";
import {
  PLAIN_FIELDS,
  type PlainField,
  SECRET_FIELDS,
  type SecretField,
  type VirtualKeyState,
} from "./control-entities.ts";
import { ControlPlaneError } from "./control-errors.ts";
import { virtualKeyRecordKey } from "./control-events.ts";
import { assertTopicOwned, type ControlWriter } from "./control-writer.ts";
import type { Vault } from "./vault.ts";
import { type RevealedSecrets, sealVirtualKeySecrets } from "./virtual-key-credentials.ts";

export interface NewVirtualKey {
  /** Default: `<provider>-<8 hex chars>`. */
  id?: string | undefined;
  name?: string | undefined;
  provider: string;
  secrets: RevealedSecrets;
  fields: Partial<Record<PlainField, string>>;
}

/** Omitted: unchanged; null: removed. Secret fields given here are re-encrypted (a rotation). */
export interface VirtualKeyPatch {
  name?: string | null | undefined;
  provider?: string | undefined;
  secrets?: Partial<Record<SecretField, string | null>> | undefined;
  fields?: Partial<Record<PlainField, string | null>> | undefined;
}

/** Virtual keys: provider credentials owned by a tenant, sealed by the vault before they become an event. */
export class VirtualKeyCommands {
  private readonly writer: ControlWriter;
  private readonly vault: Vault | null;

  constructor(writer: ControlWriter, vault: Vault | null) {
    this.writer = writer;
    this.vault = vault;
  }

  create(tenantId: string, input: NewVirtualKey): Promise<VirtualKeyState> {
    return this.writer.exclusive(async () => {
      const vault = this.requireVault();
      this.requireTenant(tenantId);
      const id = input.id ?? `${input.provider}-${randomBytes(4).toString("hex")}`;
      if (this.writer.view.virtualKeyState(tenantId, id)) {
        throw new ControlPlaneError("conflict", `tenant ${tenantId} already has a virtual key ${id}`, "id");
      }
      const now = this.writer.now();
      const state: VirtualKeyState = {
        id,
        tenant_id: tenantId,
        ...(input.name !== undefined ? { name: input.name } : {}),
        provider: input.provider,
        secrets: sealVirtualKeySecrets(vault, tenantId, id, input.secrets),
        fields: { ...input.fields },
        disabled: false,
        version: this.writer.nextVersion(virtualKeyRecordKey(tenantId, id)),
        created_at: now,
        updated_at: now,
      };
      await this.writer.append([{ type: "virtual_key.upserted", virtual_key: state }]);
      return state;
    });
  }

  update(tenantId: string, id: string, patch: VirtualKeyPatch): Promise<VirtualKeyState> {
    return this.writer.exclusive(async () => {
      const current = this.requireWritable(tenantId, id);
      const { name: _name, ...rest } = current;
      const name = patch.name === undefined ? current.name : (patch.name ?? undefined);
      const state: VirtualKeyState = {
        ...rest,
        ...(name !== undefined ? { name } : {}),
        provider: patch.provider ?? current.provider,
        secrets: this.patchSecrets(current, patch.secrets ?? {}),
        fields: patchFields(current.fields, patch.fields ?? {}),
        version: this.writer.nextVersion(virtualKeyRecordKey(tenantId, id)),
        updated_at: this.writer.now(),
      };
      await this.writer.append([{ type: "virtual_key.upserted", virtual_key: state }]);
      return state;
    });
  }

  /** New values for the given secret fields; the others are kept. */
  rotate(tenantId: string, id: string, secrets: RevealedSecrets): Promise<VirtualKeyState> {
    if (SECRET_FIELDS.every((f) => secrets[f] === undefined)) {
      return Promise.reject(new ControlPlaneError("invalid", "a rotation needs at least one secret field", "api_key"));
    }
    return this.update(tenantId, id, { secrets });
  }

  /** Disabled keys stay in the vault but every request naming them is refused. */
  setDisabled(tenantId: string, id: string, disabled: boolean): Promise<VirtualKeyState> {
    return this.writer.exclusive(async () => {
      const current = this.requireWritable(tenantId, id);
      if (current.disabled === disabled) return current;
      const state: VirtualKeyState = {
        ...current,
        disabled,
        version: this.writer.nextVersion(virtualKeyRecordKey(tenantId, id)),
        updated_at: this.writer.now(),
      };
      await this.writer.append([
        { type: disabled ? "virtual_key.disabled" : "virtual_key.upserted", virtual_key: state },
      ]);
      return state;
    });
  }

  delete(tenantId: string, id: string): Promise<void> {
    return this.writer.exclusive(async () => {
      this.requireWritable(tenantId, id);
      const version = this.writer.nextVersion(virtualKeyRecordKey(tenantId, id));
      await this.writer.append([{ type: "virtual_key.deleted", tenant_id: tenantId, virtual_key_id: id, version }]);
    });
  }

  private patchSecrets(
    current: VirtualKeyState,
    patch: Partial<Record<SecretField, string | null>>,
  ): VirtualKeyState["secrets"] {
    const next = { ...current.secrets };
    const clear: RevealedSecrets = {};
    for (const field of SECRET_FIELDS) {
      const value = patch[field];
      if (value === null) delete next[field];
      else if (value !== undefined) clear[field] = value;
    }
    if (Object.keys(clear).length === 0) return next;
    return { ...next, ...sealVirtualKeySecrets(this.requireVault(), current.tenant_id, current.id, clear) };
  }

  private requireVault(): Vault {
    if (this.vault) return this.vault;
    throw new ControlPlaneError(
      "vault_unavailable",
      "virtual keys need a master key to encrypt their secrets: set SWITCHYARD_MASTER_KEY (32 bytes, e.g. `openssl rand -base64 32`) and restart",
    );
  }

  private requireTenant(tenantId: string): void {
    if (!this.writer.view.tenant(tenantId)) {
      throw new ControlPlaneError("tenant_not_found", `tenant ${tenantId} does not exist`);
    }
  }

  private requireWritable(tenantId: string, id: string): VirtualKeyState {
    const current = this.writer.view.virtualKeyState(tenantId, id);
    if (!current) throw new ControlPlaneError("virtual_key_not_found", `tenant ${tenantId} has no virtual key ${id}`);
    assertTopicOwned(current, `virtual key ${id}`);
    return current.state;
  }
}

function patchFields(
  current: VirtualKeyState["fields"],
  patch: Partial<Record<PlainField, string | null>>,
): VirtualKeyState["fields"] {
  const next = { ...current };
  for (const field of PLAIN_FIELDS) {
    const value = patch[field];
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  return next;
}
