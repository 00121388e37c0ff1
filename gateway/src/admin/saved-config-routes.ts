import type { FastifyInstance } from "fastify";
import { GatewayError } from "../errors.ts";
import { scoped } from "./admin-auth.ts";
import { type AdminContext, type EntityParams, requireTenant, type TenantParams } from "./admin-context.ts";
import { parseBody } from "./admin-errors.ts";
import { SavedConfigCreate, SavedConfigUpdate } from "./admin-schemas.ts";
import { list, savedConfigView } from "./admin-views.ts";

/**
 * Saved configs (`x-portkey-config: pc-…`), validated with the same schema as inline configs. An API
 * key needs configs.read / configs.write.
 */
export function registerSavedConfigRoutes(app: FastifyInstance, context: AdminContext): void {
  const { view, commands } = context;
  const base = "/tenants/:tenantId/configs";
  const read = scoped("configs.read");
  const write = scoped("configs.write");
  const validate = (config: Record<string, unknown> | undefined) => {
    if (config === undefined) return;
    const issues = context.validateSavedConfig(config);
    if (issues.length > 0) {
      throw new GatewayError("invalid_request", `invalid config: ${issues.join("; ")}`, "config");
    }
  };
  const show = (tenantId: string, id: string) => {
    const config = view.savedConfigState(tenantId, id);
    if (!config) throw new GatewayError("saved_config_not_found", `tenant ${tenantId} has no saved config ${id}`);
    return savedConfigView(config);
  };

  app.get<{ Params: TenantParams }>(base, read, async (request) => {
    requireTenant(context, request.params.tenantId);
    return list(view.savedConfigs(request.params.tenantId).map(savedConfigView));
  });

  app.post<{ Params: TenantParams }>(base, write, async (request, reply) => {
    const body = parseBody(SavedConfigCreate, request.body);
    validate(body.config);
    const created = await commands.savedConfigs.create(request.params.tenantId, body);
    reply.code(201);
    return show(request.params.tenantId, created.id);
  });

  app.get<{ Params: EntityParams }>(`${base}/:id`, read, async (request) =>
    show(request.params.tenantId, request.params.id),
  );

  /** Replaces the config (and/or renames it); the version goes up by one. */
  app.patch<{ Params: EntityParams }>(`${base}/:id`, write, async (request) => {
    const body = parseBody(SavedConfigUpdate, request.body);
    validate(body.config);
    await commands.savedConfigs.update(request.params.tenantId, request.params.id, body);
    return show(request.params.tenantId, request.params.id);
  });

  app.delete<{ Params: EntityParams }>(`${base}/:id`, write, async (request) => {
    await commands.savedConfigs.delete(request.params.tenantId, request.params.id);
    return { object: "saved_config", id: request.params.id, deleted: true };
  });
}
