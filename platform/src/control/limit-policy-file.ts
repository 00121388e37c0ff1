import { z } from "zod";
import { EntityName } from "./control-entities.ts";
import {
  attachedPolicyId,
  LimitCondition,
  LimitDimension,
  type LimitPolicyState,
  RateLimits,
  UsageLimits,
} from "./limit-policy.ts";

/**
 * Limits in the declarative file: `usage_limits` / `rate_limits` on a tenant, an API key or a
 * virtual key (Portkey's field names), and a tenant's `limit_policies`. Each becomes a limit
 * policy of the file layer, exactly as the admin API would have stored it.
 */
export const fileLimitFields = {
  usage_limits: UsageLimits.optional(),
  rate_limits: RateLimits.optional(),
};

export const FileLimitPolicy = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, "must be 1-128 letters, digits, '_' or '-' (no '.')"),
  name: EntityName.optional(),
  conditions: z.array(LimitCondition).max(16).default([]),
  group_by: z
    .array(z.strictObject({ key: LimitDimension }))
    .max(4)
    .default([]),
  ...fileLimitFields,
});
export type FileLimitPolicy = z.infer<typeof FileLimitPolicy>;

interface Limited {
  id: string;
  usage_limits?: z.infer<typeof UsageLimits> | undefined;
  rate_limits?: z.infer<typeof RateLimits> | undefined;
}

interface Stamp {
  version: number;
  created_at: string;
  updated_at: string;
}

/** Every limit policy one tenant of the file declares (attached limits included). */
export function fileLimitPolicies(
  tenant: Limited & { api_keys: Limited[]; virtual_keys: Limited[]; limit_policies: FileLimitPolicy[] },
  stamp: Stamp,
): LimitPolicyState[] {
  const out: LimitPolicyState[] = [];
  const add = (
    id: string,
    name: string | undefined,
    rest: Omit<
      LimitPolicyState,
      keyof Stamp | "id" | "tenant_id" | "name" | "usage_reset_at" | "usage_limits" | "rate_limits"
    >,
    limits: Limited,
  ) => {
    if (limits.usage_limits === undefined && (limits.rate_limits?.length ?? 0) === 0) return;
    out.push({
      id,
      tenant_id: tenant.id,
      ...(name !== undefined ? { name } : {}),
      ...rest,
      usage_limits: limits.usage_limits ?? null,
      rate_limits: limits.rate_limits ?? [],
      usage_reset_at: null,
      ...stamp,
    });
  };
  add(attachedPolicyId.tenant, undefined, { conditions: [], group_by: [] }, tenant);
  for (const key of tenant.api_keys) {
    add(
      attachedPolicyId.apiKey(key.id),
      undefined,
      { conditions: [{ key: "api_key", value: key.id }], group_by: [] },
      key,
    );
  }
  for (const vk of tenant.virtual_keys) {
    add(
      attachedPolicyId.virtualKey(vk.id),
      undefined,
      { conditions: [{ key: "virtual_key", value: vk.id }], group_by: [] },
      vk,
    );
  }
  for (const policy of tenant.limit_policies) {
    add(policy.id, policy.name, { conditions: policy.conditions, group_by: policy.group_by }, policy);
  }
  return out;
}
