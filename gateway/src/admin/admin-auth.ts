import { createHash, timingSafeEqual } from "node:crypto";
import { bearerToken } from "@switchyard/platform";
import type { FastifyRequest } from "fastify";
import { GatewayError } from "../errors.ts";

/**
 * The admin API's guard: `Authorization: Bearer <SWITCHYARD_ADMIN_TOKEN>`. Both sides are hashed
 * first so the constant-time compare also hides the token's length. No token configured means
 * the admin API is off, and the error says how to turn it on.
 */
export function adminGuard(token: string | undefined): (request: FastifyRequest) => Promise<void> {
  const expected = token === undefined ? null : digest(token);
  return async (request) => {
    if (expected === null) {
      throw new GatewayError("admin_disabled", "the admin API is disabled: set SWITCHYARD_ADMIN_TOKEN to enable it");
    }
    const presented = bearerToken(request.headers.authorization);
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      throw new GatewayError(
        "invalid_admin_token",
        "the admin API needs Authorization: Bearer <SWITCHYARD_ADMIN_TOKEN>",
        "authorization",
      );
    }
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
