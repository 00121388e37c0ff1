import {
  type ControlPlane,
  type EventBus,
  type KeyStore,
  type Logger,
  loadKeysFile,
  startControlPlane,
  vaultFrom,
} from "@switchyard/platform";
import type { GatewayConfig } from "../config.ts";
import { validateSavedGuardrail } from "../guardrails/validate-saved.ts";
import { templateProblem } from "../prompts/prompt-call.ts";
import { ProviderId } from "../providers/registry.ts";
import { validateSavedConfig } from "./saved-config-validation.ts";

export interface GatewayControlPlaneOptions {
  bus: EventBus;
  logger: Logger;
  config: GatewayConfig;
  /** The KeyStore the gateway (and, in the stack, analytics) authenticates with. */
  keys: KeyStore;
  /** Where `${VAR}` references in the declarative file resolve: main passes process.env. */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The gateway's control plane: folds the control topic (creating it if needed), layers
 * SWITCHYARD_KEYS_FILE and SWITCHYARD_CONFIG_FILE over it, and resolves once the backlog is
 * folded. Used by gateway/src/main.ts and the one-process stack.
 */
export async function startGatewayControlPlane(options: GatewayControlPlaneOptions): Promise<ControlPlane> {
  const { config } = options;
  const vault = vaultFrom(config.control);
  const file = config.control.configFile;
  return startControlPlane({
    bus: options.bus,
    logger: options.logger,
    keys: options.keys,
    vault,
    replicaId: config.instance,
    topicName: config.control.topic,
    seedKeys: await loadKeysFile(config.keysFile),
    file: file
      ? {
          path: file,
          env: options.env,
          vault,
          virtualKeys: "load",
          validateConfig: validateSavedConfig,
          validatePromptTemplate: templateProblem,
          validateGuardrail: validateSavedGuardrail,
          knownProviders: ProviderId.options,
        }
      : undefined,
    topic: "create",
  });
}
