import { GatewayError } from "../errors.ts";
import type { RequestContext } from "../pipeline/context.ts";

/**
 * An upstream answer (or stream chunk) the endpoint's converter could not take, e.g. `tool_calls: {}` on
 * /v1/messages through an OpenAI-shaped provider: recorded in the outcome as exactly the error the client is
 * answered with (502), so the event never says 200 beside an error answer. The converter's own text (a
 * TypeError) stays in the gateway.
 */
export function unconvertible(ctx: RequestContext): GatewayError {
  const error = new GatewayError(
    "upstream_error",
    `the upstream's answer could not be converted to the ${ctx.endpoint.endpoint} format`,
  );
  ctx.outcome.statusCode = error.status;
  ctx.outcome.errorType = "invalid_upstream_response";
  ctx.outcome.errorMessage = error.message;
  return error;
}
