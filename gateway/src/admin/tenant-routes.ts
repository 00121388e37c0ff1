import type { FastifyInstance } from "fastify";
import { GatewayError } from "../errors.ts";
import { type AdminContext, type EntityParams, requireTenant, type TenantParams } from "./admin-context.ts";
import { parseBody } from "./admin-errors.ts";
import { ApiKeyCreate, TenantCreate, TenantUpdate } from "./admin-schemas.ts";
import { apiKeyView, list, tenantView } from "./admin-views.ts";
import { putAttachedLimits } from "./limit-routes.ts";

/** Tenants and their gateway API keys. */
export function registerTenantRoutes(app: FastifyInstance, context: AdminContext): void {
  const { view, commands } = context;
  const sourced = <T>(state: T) => ({ state, source: "control_topic" as const });

  app.get("/tenants", async () => list(view.tenants().map(tenantView)));

  app.post("/tenants", async (request, reply) => {
    const body = parseBody(TenantCreate, request.body);
    const tenant = await commands.tenants.create(body);
    await putAttachedLimits(context, tenant.id, { kind: "tenant" }, body);
    reply.code(201);
    return tenantView(sourced(tenant));
  });

  app.get<{ Params: TenantParams }>("/tenants/:tenantId", async (request) => {
    const tenant = view.tenant(request.params.tenantId);
    if (!tenant) throw new GatewayError("tenant_not_found", `tenant ${request.params.tenantId} does not exist`);
    return tenantView(tenant);
  });

  app.patch<{ Params: TenantParams }>("/tenants/:tenantId", async (request) => {
    const body = parseBody(TenantUpdate, request.body);
    const tenant = await commands.tenants.update(request.params.tenantId, body);
    await putAttachedLimits(context, tenant.id, { kind: "tenant" }, body);
    return tenantView(sourced(tenant));
  });

  /** Also revokes the tenant's API keys and deletes its virtual keys and saved configs. */
  app.delete<{ Params: TenantParams }>("/tenants/:tenantId", async (request) => {
    await commands.tenants.delete(request.params.tenantId);
    return { object: "tenant", id: request.params.tenantId, deleted: true };
  });

  app.get<{ Params: TenantParams }>("/tenants/:tenantId/api-keys", async (request) => {
    requireTenant(context, request.params.tenantId);
    return list(view.apiKeys(request.params.tenantId).map(apiKeyView));
  });

  /** The only response that ever contains the key: store it now. */
  app.post<{ Params: TenantParams }>("/tenants/:tenantId/api-keys", async (request, reply) => {
    const body = parseBody(ApiKeyCreate, request.body);
    const created = await commands.tenants.createApiKey(request.params.tenantId, body);
    await putAttachedLimits(context, request.params.tenantId, { kind: "api_key", id: created.state.id }, body);
    reply.code(201);
    return { ...apiKeyView(sourced(created.state)), key: created.key };
  });

  // Keys are revoked, never forgotten: a DELETE revokes too, so the refusal outlives the request.
  const revoke = async (request: { params: EntityParams }) =>
    apiKeyView(sourced(await commands.tenants.revokeApiKey(request.params.tenantId, request.params.id)));
  app.post<{ Params: EntityParams }>("/tenants/:tenantId/api-keys/:id/revoke", revoke);
  app.delete<{ Params: EntityParams }>("/tenants/:tenantId/api-keys/:id", revoke);
}
