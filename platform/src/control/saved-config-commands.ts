import { randomBytes } from "node:crypto";
import type { SavedConfigState } from "./control-entities.ts";
import { ControlPlaneError } from "./control-errors.ts";
import { savedConfigRecordKey } from "./control-events.ts";
import { assertTopicOwned, type ControlWriter } from "./control-writer.ts";

export interface NewSavedConfig {
  /** Default: `pc-<12 hex chars>`. */
  id?: string | undefined;
  name?: string | undefined;
  /** Already validated by the caller against the gateway's config schema. */
  config: Record<string, unknown>;
}

/** Saved configs, referenced by requests as `x-portkey-config: pc-…`; each update bumps the version. */
export class SavedConfigCommands {
  private readonly writer: ControlWriter;

  constructor(writer: ControlWriter) {
    this.writer = writer;
  }

  create(tenantId: string, input: NewSavedConfig): Promise<SavedConfigState> {
    return this.writer.exclusive(async () => {
      if (!this.writer.view.tenant(tenantId)) {
        throw new ControlPlaneError("tenant_not_found", `tenant ${tenantId} does not exist`);
      }
      const id = input.id ?? `pc-${randomBytes(6).toString("hex")}`;
      if (this.writer.view.savedConfigState(tenantId, id)) {
        throw new ControlPlaneError("conflict", `tenant ${tenantId} already has a saved config ${id}`, "id");
      }
      const now = this.writer.now();
      const state: SavedConfigState = {
        id,
        tenant_id: tenantId,
        ...(input.name !== undefined ? { name: input.name } : {}),
        config: input.config,
        version: this.writer.nextVersion(savedConfigRecordKey(tenantId, id)),
        created_at: now,
        updated_at: now,
      };
      await this.writer.append([{ type: "saved_config.upserted", saved_config: state }]);
      return state;
    });
  }

  /** Omitted fields are unchanged; `name: null` clears the name. */
  update(
    tenantId: string,
    id: string,
    patch: { name?: string | null | undefined; config?: Record<string, unknown> | undefined },
  ): Promise<SavedConfigState> {
    return this.writer.exclusive(async () => {
      const current = this.requireWritable(tenantId, id);
      const { name: _name, ...rest } = current;
      const name = patch.name === undefined ? current.name : (patch.name ?? undefined);
      const state: SavedConfigState = {
        ...rest,
        ...(name !== undefined ? { name } : {}),
        config: patch.config ?? current.config,
        version: this.writer.nextVersion(savedConfigRecordKey(tenantId, id)),
        updated_at: this.writer.now(),
      };
      await this.writer.append([{ type: "saved_config.upserted", saved_config: state }]);
      return state;
    });
  }

  delete(tenantId: string, id: string): Promise<void> {
    return this.writer.exclusive(async () => {
      this.requireWritable(tenantId, id);
      const version = this.writer.nextVersion(savedConfigRecordKey(tenantId, id));
      await this.writer.append([{ type: "saved_config.deleted", tenant_id: tenantId, saved_config_id: id, version }]);
    });
  }

  private requireWritable(tenantId: string, id: string): SavedConfigState {
    const current = this.writer.view.savedConfigState(tenantId, id);
    if (!current) throw new ControlPlaneError("saved_config_not_found", `tenant ${tenantId} has no saved config ${id}`);
    assertTopicOwned(current, `saved config ${id}`);
    return current.state;
  }
}
