import { z } from "zod";
import { optionalString } from "../config/env-helpers.ts";
import { MasterKey, Vault } from "./vault.ts";

/** The control plane's env vars, spread into each service's env schema and parsed once in main(). */
export const ControlPlaneEnv = z.object({
  /** 32 bytes, hex or base64. Without it virtual keys cannot be created or used. */
  SWITCHYARD_MASTER_KEY: optionalString.transform((value, ctx) => {
    if (value === undefined) return undefined;
    try {
      return MasterKey.parse(value);
    } catch (error) {
      // The message describes the format problem; it never contains the value.
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  }),
  /** The declarative control-plane file (YAML), hot-reloaded. */
  SWITCHYARD_CONFIG_FILE: optionalString,
  /**
   * The compacted control topic (default switchyard.control.v1). Deployments sharing one Kafka
   * cluster each name their own, or they would share tenants, keys and virtual keys.
   */
  SWITCHYARD_CONTROL_TOPIC: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, "a Kafka topic name: letters, digits, '.', '_' or '-', at most 200")
      .optional(),
  ),
});
export type ControlPlaneEnv = z.infer<typeof ControlPlaneEnv>;

export interface ControlPlaneSettings {
  /** Inspecting or serialising it shows the key id only. */
  masterKey: MasterKey | undefined;
  configFile: string | undefined;
  /** undefined: the default control topic (CONTROL_TOPIC). */
  topic: string | undefined;
}

export function controlPlaneSettingsFrom(env: ControlPlaneEnv): ControlPlaneSettings {
  return {
    masterKey: env.SWITCHYARD_MASTER_KEY,
    configFile: env.SWITCHYARD_CONFIG_FILE,
    topic: env.SWITCHYARD_CONTROL_TOPIC,
  };
}

export function vaultFrom(settings: ControlPlaneSettings): Vault | null {
  return settings.masterKey ? new Vault([settings.masterKey]) : null;
}
