import type { FastifyInstance, FastifyRequest } from "fastify";
import { GatewayError } from "../errors.ts";
import { requireCallerScope, scoped } from "./admin-auth.ts";
import {
  type AdminContext,
  type EntityParams,
  requireKnownProvider,
  requireTenant,
  type TenantParams,
} from "./admin-context.ts";
import { parseBody } from "./admin-errors.ts";
import { splitFields, VirtualKeyCreate, VirtualKeyRotate, VirtualKeyUpdate } from "./admin-schemas.ts";
import { list, virtualKeyView } from "./admin-views.ts";
import { putAttachedLimits } from "./limit-routes.ts";

/**
 * Virtual keys: responses carry masked hints of the secrets, never the secrets. An API key needs
 * virtual_keys.read / virtual_keys.write (and limits.write to attach limits in the same body).
 */
export function registerVirtualKeyRoutes(app: FastifyInstance, context: AdminContext): void {
  const { view, commands } = context;
  const show = (tenantId: string, id: string) => {
    const key = view.virtualKeyState(tenantId, id);
    if (!key) throw new GatewayError("virtual_key_not_found", `tenant ${tenantId} has no virtual key ${id}`);
    return virtualKeyView(key, view.vault);
  };
  const base = "/tenants/:tenantId/virtual-keys";
  const read = scoped("virtual_keys.read");
  const write = scoped("virtual_keys.write");

  app.get<{ Params: TenantParams }>(base, read, async (request) => {
    requireTenant(context, request.params.tenantId);
    return list(view.virtualKeys(request.params.tenantId).map((k) => virtualKeyView(k, view.vault)));
  });

  app.post<{ Params: TenantParams }>(base, write, async (request, reply) => {
    const body = parseBody(VirtualKeyCreate, request.body);
    requireLimitsScope(request, body);
    requireKnownProvider(context, body.provider);
    const { secrets, fields } = splitFields<string>(body);
    const { tenantId } = request.params;
    const created = await commands.virtualKeys.create(tenantId, {
      id: body.id,
      name: body.name,
      provider: body.provider,
      secrets,
      fields,
    });
    await putAttachedLimits(context, tenantId, { kind: "virtual_key", id: created.id }, body);
    reply.code(201);
    return show(tenantId, created.id);
  });

  app.get<{ Params: EntityParams }>(`${base}/:id`, read, async (request) =>
    show(request.params.tenantId, request.params.id),
  );

  /** Omitted fields are unchanged, null removes one; secret fields given here are re-encrypted. */
  app.patch<{ Params: EntityParams }>(`${base}/:id`, write, async (request) => {
    const body = parseBody(VirtualKeyUpdate, request.body);
    requireLimitsScope(request, body);
    requireKnownProvider(context, body.provider);
    const { secrets, fields } = splitFields<string | null>(body);
    const { tenantId, id } = request.params;
    await commands.virtualKeys.update(tenantId, id, { name: body.name, provider: body.provider, secrets, fields });
    await putAttachedLimits(context, tenantId, { kind: "virtual_key", id }, body);
    return show(tenantId, id);
  });

  /** New provider credentials; every replica uses them within a second. */
  app.post<{ Params: EntityParams }>(`${base}/:id/rotate`, write, async (request) => {
    const { secrets } = splitFields<string>(parseBody(VirtualKeyRotate, request.body));
    const { tenantId, id } = request.params;
    await commands.virtualKeys.rotate(tenantId, id, secrets);
    return show(tenantId, id);
  });

  app.post<{ Params: EntityParams }>(`${base}/:id/disable`, write, async (request) => {
    await commands.virtualKeys.setDisabled(request.params.tenantId, request.params.id, true);
    return show(request.params.tenantId, request.params.id);
  });

  app.post<{ Params: EntityParams }>(`${base}/:id/enable`, write, async (request) => {
    await commands.virtualKeys.setDisabled(request.params.tenantId, request.params.id, false);
    return show(request.params.tenantId, request.params.id);
  });

  app.delete<{ Params: EntityParams }>(`${base}/:id`, write, async (request) => {
    await commands.virtualKeys.delete(request.params.tenantId, request.params.id);
    return { object: "virtual_key", id: request.params.id, deleted: true };
  });
}

/** Limits given on a virtual key's body change what it may spend: they need limits.write too. */
function requireLimitsScope(request: FastifyRequest, body: { usage_limits?: unknown; rate_limits?: unknown }): void {
  if (body.usage_limits !== undefined || body.rate_limits !== undefined) requireCallerScope(request, "limits.write");
}
