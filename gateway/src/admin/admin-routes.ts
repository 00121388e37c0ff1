import type { ControlPlane, SavedConfigValidator } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { GatewayError } from "../errors.ts";
import { adminGuard } from "./admin-auth.ts";
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
 * The admin API under /v1/admin: tenants, API keys, virtual keys and saved configs. Every write
 * appends control events and answers once this replica has folded them. Without a control plane
 * (or one that only follows the topic) every admin route answers admin_disabled.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps | undefined): void {
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
      admin.addHook("onRequest", adminGuard(deps.token));
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
