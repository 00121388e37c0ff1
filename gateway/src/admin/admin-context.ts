import type { ControlCommands, ControlPlaneView, SavedConfigValidator } from "@switchyard/platform";
import { GatewayError } from "../errors.ts";

/** What every admin route file receives. */
export interface AdminContext {
  view: ControlPlaneView;
  commands: ControlCommands;
  /** Provider ids the gateway can call; virtual keys naming another are refused. */
  knownProviders: readonly string[];
  validateSavedConfig: SavedConfigValidator;
}

export interface TenantParams {
  tenantId: string;
}

export interface EntityParams extends TenantParams {
  id: string;
}

/** Tenant-scoped reads 404 on an unknown tenant rather than returning an empty list. */
export function requireTenant(context: AdminContext, tenantId: string): void {
  if (!context.view.tenant(tenantId)) {
    throw new GatewayError("tenant_not_found", `tenant ${tenantId} does not exist`);
  }
}

export function requireKnownProvider(context: AdminContext, provider: string | undefined): void {
  if (provider === undefined || context.knownProviders.includes(provider)) return;
  throw new GatewayError(
    "unknown_provider",
    `unknown provider ${provider}; this gateway knows ${context.knownProviders.join(", ")}`,
    "provider",
  );
}
