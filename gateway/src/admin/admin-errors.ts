import { formatIssues, issueParam } from "@switchyard/events";
import { ControlPlaneError, type ControlPlaneErrorCode } from "@switchyard/platform";
import type { z } from "zod";
import { GatewayError, type GatewayErrorCode } from "../errors.ts";

const CODES: Record<ControlPlaneErrorCode, GatewayErrorCode> = {
  tenant_not_found: "tenant_not_found",
  api_key_not_found: "api_key_not_found",
  virtual_key_not_found: "virtual_key_not_found",
  saved_config_not_found: "saved_config_not_found",
  prompt_not_found: "prompt_not_found",
  limit_policy_not_found: "limit_policy_not_found",
  conflict: "conflict",
  managed_by_file: "managed_by_file",
  vault_unavailable: "vault_unavailable",
  unavailable: "control_plane_unavailable",
  invalid: "invalid_request",
};

/** Control-plane refusals → the gateway's error catalogue; anything else passes through unchanged. */
export function toAdminError(error: unknown): unknown {
  if (error instanceof ControlPlaneError) return new GatewayError(CODES[error.code], error.message, error.param);
  return error;
}

/** Parses a request body, listing every failing field (`api_key: ...; fields.aws_region: ...`). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const { issues } = parsed.error;
  throw new GatewayError("invalid_request", formatIssues(issues, { root: "body" }), issueParam(issues));
}
