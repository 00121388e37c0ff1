import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { scoped } from "./admin-auth.ts";
import type { AdminContext } from "./admin-context.ts";
import { parseBody } from "./admin-errors.ts";

const ValidateBody = z.strictObject({ config: z.record(z.string(), z.unknown()) });

/**
 * POST /v1/admin/configs/validate: a config checked with the gateway's own schema, without saving
 * it — the console's JSON editor calls it as the user types. A config is answered (200) with its
 * problems listed, exactly the ones a save would reject; a body that is not `{config: {...}}` is a 400.
 * An API key needs configs.read (nothing is read from or written to a tenant).
 */
export function registerConfigValidateRoute(app: FastifyInstance, context: AdminContext): void {
  app.post("/configs/validate", scoped("configs.read"), async (request) => {
    const { config } = parseBody(ValidateBody, request.body);
    const errors = context.validateSavedConfig(config);
    return { object: "config_validation", valid: errors.length === 0, errors };
  });
}
