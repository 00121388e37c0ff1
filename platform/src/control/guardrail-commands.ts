import { randomBytes } from "node:crypto";
import { ControlPlaneError } from "./control-errors.ts";
import { assertTopicOwned, type ControlWriter } from "./control-writer.ts";
import type { GuardrailDefinition, SavedGuardrailState } from "./guardrail-entities.ts";
import { savedGuardrailRecordKey } from "./guardrail-entities.ts";

/**
 * Saved guardrails, referenced from configs by id (`pg-…`); each write bumps the version and every
 * replica folds it from the control topic. The caller (the admin API) validated the checks against
 * the gateway's built-ins. update/delete answer null when the tenant has no such guardrail.
 */
export class GuardrailCommands {
  private readonly writer: ControlWriter;

  constructor(writer: ControlWriter) {
    this.writer = writer;
  }

  create(tenantId: string, input: GuardrailDefinition & { id?: string | undefined }): Promise<SavedGuardrailState> {
    return this.writer.exclusive(async () => {
      if (!this.writer.view.tenant(tenantId)) {
        throw new ControlPlaneError("tenant_not_found", `tenant ${tenantId} does not exist`);
      }
      const id = input.id ?? `pg-${randomBytes(6).toString("hex")}`;
      if (this.writer.view.savedGuardrailState(tenantId, id)) {
        throw new ControlPlaneError("conflict", `tenant ${tenantId} already has a guardrail ${id}`, "id");
      }
      const now = this.writer.now();
      const { id: _id, ...definition } = input;
      const state: SavedGuardrailState = {
        id,
        tenant_id: tenantId,
        ...definition,
        version: this.writer.nextVersion(savedGuardrailRecordKey(tenantId, id)),
        created_at: now,
        updated_at: now,
      };
      await this.writer.append([{ type: "saved_guardrail.upserted", saved_guardrail: state }]);
      return state;
    });
  }

  /** Fields given replace the stored ones whole (checks and actions included). */
  update(tenantId: string, id: string, patch: Partial<GuardrailDefinition>): Promise<SavedGuardrailState | null> {
    return this.writer.exclusive(async () => {
      const current = this.writable(tenantId, id);
      if (current === null) return null;
      const state: SavedGuardrailState = {
        ...current,
        ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
        version: this.writer.nextVersion(savedGuardrailRecordKey(tenantId, id)),
        updated_at: this.writer.now(),
      };
      await this.writer.append([{ type: "saved_guardrail.upserted", saved_guardrail: state }]);
      return state;
    });
  }

  delete(tenantId: string, id: string): Promise<boolean> {
    return this.writer.exclusive(async () => {
      if (this.writable(tenantId, id) === null) return false;
      const version = this.writer.nextVersion(savedGuardrailRecordKey(tenantId, id));
      await this.writer.append([
        { type: "saved_guardrail.deleted", tenant_id: tenantId, saved_guardrail_id: id, version },
      ]);
      return true;
    });
  }

  private writable(tenantId: string, id: string): SavedGuardrailState | null {
    const current = this.writer.view.savedGuardrailState(tenantId, id);
    if (!current) return null;
    assertTopicOwned(current, `guardrail ${id}`);
    return current.state;
  }
}
