import { ControlPlaneError } from "./control-errors.ts";
import { assertTopicOwned, type ControlWriter } from "./control-writer.ts";
import {
  type LimitCondition,
  type LimitDimension,
  type LimitPolicyState,
  limitPolicyRecordKey,
  type RateLimit,
  type UsageLimits,
} from "./limit-policy.ts";

/** A whole policy as the admin API gives it (PUT semantics: it replaces the previous one). */
export interface LimitPolicyInput {
  name?: string | undefined;
  conditions: LimitCondition[];
  group_by: Array<{ key: LimitDimension }>;
  usage_limits: UsageLimits | null;
  rate_limits: RateLimit[];
}

/** Limit policies (and limits attached to virtual keys, API keys and tenants, which are policies too). */
export class LimitPolicyCommands {
  private readonly writer: ControlWriter;

  constructor(writer: ControlWriter) {
    this.writer = writer;
  }

  /** Creates or replaces; the usage so far is kept unless the budget's type or period changed. */
  put(tenantId: string, id: string, input: LimitPolicyInput): Promise<LimitPolicyState> {
    return this.writer.exclusive(async () => {
      if (!this.writer.view.tenant(tenantId)) {
        throw new ControlPlaneError("tenant_not_found", `tenant ${tenantId} does not exist`);
      }
      const current = this.writer.view.limitPolicyState(tenantId, id);
      if (current) assertTopicOwned(current, `limit policy ${id}`);
      const now = this.writer.now();
      const state: LimitPolicyState = {
        id,
        tenant_id: tenantId,
        ...(input.name !== undefined ? { name: input.name } : {}),
        conditions: input.conditions,
        group_by: input.group_by,
        usage_limits: input.usage_limits,
        rate_limits: input.rate_limits,
        usage_reset_at: current?.state.usage_reset_at ?? null,
        version: this.writer.nextVersion(limitPolicyRecordKey(tenantId, id)),
        created_at: current?.state.created_at ?? now,
        updated_at: now,
      };
      await this.writer.append([{ type: "limit_policy.upserted", limit_policy: state }]);
      return state;
    });
  }

  /** Spend before now stops counting: every replica moves to a fresh counter once it folds this. */
  resetUsage(tenantId: string, id: string): Promise<LimitPolicyState> {
    return this.writer.exclusive(async () => {
      const current = this.requireWritable(tenantId, id);
      const now = this.writer.now();
      const state: LimitPolicyState = {
        ...current,
        usage_reset_at: now,
        version: this.writer.nextVersion(limitPolicyRecordKey(tenantId, id)),
        updated_at: now,
      };
      await this.writer.append([{ type: "limit_policy.upserted", limit_policy: state }]);
      return state;
    });
  }

  delete(tenantId: string, id: string): Promise<void> {
    return this.writer.exclusive(async () => {
      this.requireWritable(tenantId, id);
      const version = this.writer.nextVersion(limitPolicyRecordKey(tenantId, id));
      await this.writer.append([{ type: "limit_policy.deleted", tenant_id: tenantId, limit_policy_id: id, version }]);
    });
  }

  private requireWritable(tenantId: string, id: string): LimitPolicyState {
    const current = this.writer.view.limitPolicyState(tenantId, id);
    if (!current) throw new ControlPlaneError("limit_policy_not_found", `tenant ${tenantId} has no limit policy ${id}`);
    assertTopicOwned(current, `limit policy ${id}`);
    return current.state;
  }
}
