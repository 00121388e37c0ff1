import type { ControlPlane, KeyStore, SavedConfigValidator } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { GatewayError } from "../errors.ts";
import { adminGuard, callerOf, scoped } from "./admin-auth.ts";
import { toAdminError } from "./admin-errors.ts";
import { registerConfigValidateRoute } from "./config-validate-route.ts";
import { registerGuardrailRoutes } from "./guardrail-routes.ts";
import { registerLimitRoutes } from "./limit-routes.ts";
import { registerSavedConfigRoutes } from "./saved-config-routes.ts";
import { registerTenantRoutes } from "./tenant-routes.ts";
import { registerVirtualKeyRoutes } from "./virtual-key-routes.ts";

export interface AdminDeps {
  /** SWITCHYARD_ADMIN_TOKEN; undefined turns the admin API off (403 admin_disabled). */
  token: string | undefined;
  control: ControlPlane;
  knownProviders: readonly string[];
  validateSavedConfig: SavedConfigValidator;
}

export const ADMIN_PREFIX = "/v1/admin";

/**
 * The admin API under /v1/admin: tenants, API keys, virtual keys, saved configs, saved guardrails
 * and limits. The admin token may do everything; an API key with the management scopes may manage
 * its own tenant's virtual keys, configs, guardrails and limits (admin-auth.ts: each route declares
 * its scope). Every write appends control events and answers once this replica has folded them.
 * Without a control plane (or one that only follows the topic) every admin route answers admin_disabled.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps | undefined, keys: KeyStore): void {
  app.register(
    async (admin) => {
      // Thrown on to the app's one error handler, which renders the catalogue entry.
      admin.setErrorHandler((error) => {
        throw toAdminError(error);
      });
      const commands = deps?.control.commands;
      if (!deps || !commands) {
        const why = deps ? "this process only follows the control topic" : "no control plane is configured";
        admin.all("/*", async () => {
          throw new GatewayError("admin_disabled", `the admin API is disabled: ${why}`);
        });
        return;
      }
      admin.addHook("onRequest", adminGuard(deps.token, keys));
      // Who the credential is: the console reads the tenant and the scopes of the key it holds.
      admin.get("/whoami", scoped("any_key"), async (request) => {
        const caller = callerOf(request);
        if (caller.kind === "operator")
          return { object: "admin_caller", kind: "operator", tenant_id: null, scopes: null };
        const { tenantId, apiKeyId, role, scopes } = caller.principal;
        return { object: "admin_caller", kind: "api_key", api_key_id: apiKeyId, tenant_id: tenantId, role, scopes };
      });
      const context = {
        view: deps.control.view,
        commands,
        knownProviders: deps.knownProviders,
        validateSavedConfig: deps.validateSavedConfig,
      };
      registerTenantRoutes(admin, context);
      registerVirtualKeyRoutes(admin, context);
      registerSavedConfigRoutes(admin, context);
      registerConfigValidateRoute(admin, context);
      registerGuardrailRoutes(admin, context);
      registerLimitRoutes(admin, context);
    },
    { prefix: ADMIN_PREFIX },
  );
}
