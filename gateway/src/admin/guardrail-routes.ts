import { GuardrailDefinition, type SavedGuardrailState, type Sourced } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { GatewayError } from "../errors.ts";
import { validateSavedGuardrail } from "../guardrails/validate-saved.ts";
import { scoped } from "./admin-auth.ts";
import { type AdminContext, type EntityParams, requireTenant, type TenantParams } from "./admin-context.ts";
import { parseBody } from "./admin-errors.ts";
import { list } from "./admin-views.ts";

const GuardrailCreate = GuardrailDefinition.extend({
  id: z
    .string()
    .regex(/^pg-[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, "must be `pg-` then letters, digits, '_' or '-'")
    .optional(),
});
const GuardrailUpdate = GuardrailDefinition.partial().strict();

function guardrailView(g: Sourced<SavedGuardrailState>) {
  const { id, tenant_id, name, type, checks, actions, version, created_at, updated_at } = g.state;
  return {
    object: "guardrail",
    id,
    tenant_id,
    name,
    type,
    checks,
    actions,
    version,
    source: g.source,
    created_at,
    updated_at,
  };
}

function validate(checks: GuardrailDefinition["checks"] | undefined): void {
  if (checks === undefined) return;
  const issues = validateSavedGuardrail(checks);
  if (issues.length > 0) {
    const param = issues[0]?.split(":")[0] ?? "checks";
    throw new GatewayError("invalid_request", `invalid guardrail: ${issues.join("; ")}`, param);
  }
}

/**
 * Saved guardrails (`pg-…`), named from configs (`"input_guardrails": ["pg-pii"]`): the same
 * shape as Portkey's `POST /v1/guardrails` (`name`, `checks`, `actions`), checks validated against
 * the built-ins before anything is written. An API key needs guardrails.read / guardrails.write.
 */
export function registerGuardrailRoutes(app: FastifyInstance, context: AdminContext): void {
  const { view, commands } = context;
  const base = "/tenants/:tenantId/guardrails";
  const read = scoped("guardrails.read");
  const write = scoped("guardrails.write");
  const notFound = (tenantId: string, id: string) =>
    new GatewayError("not_found", `tenant ${tenantId} has no guardrail ${id}`, "id");
  const show = (tenantId: string, id: string) => {
    const found = view.savedGuardrailState(tenantId, id);
    if (!found) throw notFound(tenantId, id);
    return guardrailView(found);
  };

  app.get<{ Params: TenantParams }>(base, read, async (request) => {
    requireTenant(context, request.params.tenantId);
    return list(view.savedGuardrails(request.params.tenantId).map(guardrailView));
  });

  app.post<{ Params: TenantParams }>(base, write, async (request, reply) => {
    const body = parseBody(GuardrailCreate, request.body);
    validate(body.checks);
    const created = await commands.guardrails.create(request.params.tenantId, body);
    reply.code(201);
    return show(request.params.tenantId, created.id);
  });

  app.get<{ Params: EntityParams }>(`${base}/:id`, read, async (request) =>
    show(request.params.tenantId, request.params.id),
  );

  app.patch<{ Params: EntityParams }>(`${base}/:id`, write, async (request) => {
    const body = parseBody(GuardrailUpdate, request.body);
    validate(body.checks);
    const { tenantId, id } = request.params;
    if ((await commands.guardrails.update(tenantId, id, body)) === null) throw notFound(tenantId, id);
    return show(tenantId, id);
  });

  app.delete<{ Params: EntityParams }>(`${base}/:id`, write, async (request) => {
    const { tenantId, id } = request.params;
    if (!(await commands.guardrails.delete(tenantId, id))) throw notFound(tenantId, id);
    return { object: "guardrail", id, deleted: true };
  });
}
