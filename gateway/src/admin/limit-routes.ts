import {
  attachedPolicyId,
  EntityName,
  LimitCondition,
  LimitDimension,
  type LimitPolicyState,
  RateLimits,
  type Sourced,
  UsageLimits,
} from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { GatewayError } from "../errors.ts";
import { scoped } from "./admin-auth.ts";
import { type AdminContext, type EntityParams, requireTenant, type TenantParams } from "./admin-context.ts";
import { parseBody } from "./admin-errors.ts";
import { list } from "./admin-views.ts";

/** Limits on a virtual key, an API key or the tenant, in Portkey's field names. */
const AttachedLimits = z
  .strictObject({ usage_limits: UsageLimits.nullable().optional(), rate_limits: RateLimits.optional() })
  .refine((b) => b.usage_limits != null || (b.rate_limits?.length ?? 0) > 0, {
    message: "give usage_limits or rate_limits",
  });

const PolicyBody = z
  .strictObject({
    name: EntityName.optional(),
    conditions: z.array(LimitCondition).max(16).default([]),
    group_by: z
      .array(z.strictObject({ key: LimitDimension }))
      .max(4)
      .default([]),
    usage_limits: UsageLimits.nullable().default(null),
    rate_limits: RateLimits.default([]),
  })
  .refine((b) => b.usage_limits !== null || b.rate_limits.length > 0, {
    message: "give usage_limits or rate_limits",
  });

/** Policy ids the attached limits use are reserved. */
const PolicyId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, "must be 1-128 letters, digits, '_' or '-' (no '.')")
  .refine((id) => id !== attachedPolicyId.tenant, "`tenant` is reserved for the tenant's own limits");

function policyView(policy: Sourced<LimitPolicyState>) {
  const { id, tenant_id, name, conditions, group_by, usage_limits, rate_limits, usage_reset_at } = policy.state;
  return {
    object: "limit_policy",
    id,
    tenant_id,
    name: name ?? null,
    conditions,
    group_by,
    usage_limits,
    rate_limits,
    usage_reset_at,
    version: policy.state.version,
    source: policy.source,
    created_at: policy.state.created_at,
    updated_at: policy.state.updated_at,
  };
}

/**
 * `usage_limits` / `rate_limits` given on a tenant, API key or virtual key body (create or update):
 * they replace that entity's attached limits. Absent from the body: unchanged.
 */
export async function putAttachedLimits(
  context: AdminContext,
  tenantId: string,
  entity: { kind: "tenant" } | { kind: "api_key" | "virtual_key"; id: string },
  body: {
    usage_limits?: z.infer<typeof UsageLimits> | null | undefined;
    rate_limits?: z.infer<typeof RateLimits> | undefined;
  },
): Promise<void> {
  if (body.usage_limits === undefined && body.rate_limits === undefined) return;
  const [id, conditions]: [string, LimitCondition[]] =
    entity.kind === "tenant"
      ? [attachedPolicyId.tenant, []]
      : entity.kind === "api_key"
        ? [attachedPolicyId.apiKey(entity.id), [{ key: "api_key", value: entity.id }]]
        : [attachedPolicyId.virtualKey(entity.id), [{ key: "virtual_key", value: entity.id }]];
  const current = context.view.limitPolicyState(tenantId, id)?.state;
  await context.commands.limitPolicies.put(tenantId, id, {
    conditions,
    group_by: [],
    usage_limits: body.usage_limits === undefined ? (current?.usage_limits ?? null) : body.usage_limits,
    rate_limits: body.rate_limits ?? current?.rate_limits ?? [],
  });
}

/**
 * Admin routes for budgets and rate limits: limit policies, limits attached to virtual keys, API
 * keys and tenants, and "reset usage" (spend before now stops counting, on every replica). An API key
 * needs limits.read / limits.write, for its own tenant.
 */
export function registerLimitRoutes(app: FastifyInstance, context: AdminContext): void {
  const { view, commands } = context;
  const show = (tenantId: string, id: string) => {
    const found = view.limitPolicyState(tenantId, id);
    if (!found) throw new GatewayError("limit_policy_not_found", `tenant ${tenantId} has no limit policy ${id}`);
    return policyView(found);
  };
  const policies = "/tenants/:tenantId/limit-policies";
  const read = scoped("limits.read");
  const write = scoped("limits.write");

  app.get<{ Params: TenantParams }>(policies, read, async (request) => {
    requireTenant(context, request.params.tenantId);
    return list(view.limitPolicyStates(request.params.tenantId).map(policyView));
  });
  app.get<{ Params: EntityParams }>(`${policies}/:id`, read, async (request) =>
    show(request.params.tenantId, request.params.id),
  );
  app.put<{ Params: EntityParams }>(`${policies}/:id`, write, async (request) => {
    const { tenantId, id } = request.params;
    const parsedId = PolicyId.safeParse(id);
    if (!parsedId.success) throw new GatewayError("invalid_request", `id: ${parsedId.error.issues[0]?.message}`, "id");
    const body = parseBody(PolicyBody, request.body);
    await commands.limitPolicies.put(tenantId, id, body);
    return show(tenantId, id);
  });
  app.delete<{ Params: EntityParams }>(`${policies}/:id`, write, async (request) => {
    await commands.limitPolicies.delete(request.params.tenantId, request.params.id);
    return { object: "limit_policy", id: request.params.id, deleted: true };
  });
  app.post<{ Params: EntityParams }>(`${policies}/:id/reset`, write, async (request) => {
    await commands.limitPolicies.resetUsage(request.params.tenantId, request.params.id);
    return show(request.params.tenantId, request.params.id);
  });

  // Limits attached to one entity: each is the policy `vk.<id>` / `ak.<id>` / `tenant`.
  const attached = (path: string, resolve: (p: EntityParams) => { id: string; conditions: LimitCondition[] }) => {
    app.get<{ Params: EntityParams }>(path, read, async (request) =>
      show(request.params.tenantId, resolve(request.params).id),
    );
    app.put<{ Params: EntityParams }>(path, write, async (request) => {
      const body = parseBody(AttachedLimits, request.body);
      const { id, conditions } = resolve(request.params);
      await commands.limitPolicies.put(request.params.tenantId, id, {
        conditions,
        group_by: [],
        usage_limits: body.usage_limits ?? null,
        rate_limits: body.rate_limits ?? [],
      });
      return show(request.params.tenantId, id);
    });
    app.delete<{ Params: EntityParams }>(path, write, async (request) => {
      const { id } = resolve(request.params);
      await commands.limitPolicies.delete(request.params.tenantId, id);
      return { object: "limit_policy", id, deleted: true };
    });
    app.post<{ Params: EntityParams }>(`${path}/reset`, write, async (request) => {
      const { id } = resolve(request.params);
      await commands.limitPolicies.resetUsage(request.params.tenantId, id);
      return show(request.params.tenantId, id);
    });
  };
  attached("/tenants/:tenantId/virtual-keys/:id/limits", (p) => {
    if (!view.virtualKeyState(p.tenantId, p.id)) {
      throw new GatewayError("virtual_key_not_found", `tenant ${p.tenantId} has no virtual key ${p.id}`);
    }
    return { id: attachedPolicyId.virtualKey(p.id), conditions: [{ key: "virtual_key", value: p.id }] };
  });
  attached("/tenants/:tenantId/api-keys/:id/limits", (p) => {
    const key = view.apiKey(p.id);
    if (!key || key.state.tenant_id !== p.tenantId) {
      throw new GatewayError("api_key_not_found", `tenant ${p.tenantId} has no API key ${p.id}`);
    }
    return { id: attachedPolicyId.apiKey(p.id), conditions: [{ key: "api_key", value: p.id }] };
  });
  attached("/tenants/:tenantId/limits", (p) => {
    requireTenant(context, p.tenantId);
    return { id: attachedPolicyId.tenant, conditions: [] };
  });
}
