import type { ApiKeyRecord, KeyStore } from "../auth/keys.ts";
import type { EventBus, Subscription } from "../bus/event-bus.ts";
import type { Logger } from "../logger.ts";
import { CONTROL_TOPIC } from "./control-events.ts";
import { ControlPlaneView } from "./control-plane-view.ts";
import { CONTROL_TOPIC_PARTITIONS, followControlTopic } from "./control-topic-follower.ts";
import { ControlWriter } from "./control-writer.ts";
import type { DeclarativeFileOptions } from "./declarative-file.ts";
import { DeclarativeFileWatcher } from "./declarative-file-watcher.ts";
import { GuardrailCommands } from "./guardrail-commands.ts";
import { LimitPolicyCommands } from "./limit-policy-commands.ts";
import { PromptCommands } from "./prompt-commands.ts";
import { SavedConfigCommands } from "./saved-config-commands.ts";
import { TenantCommands } from "./tenant-commands.ts";
import type { Vault } from "./vault.ts";
import { VirtualKeyCommands } from "./virtual-key-commands.ts";

/** What the admin API calls; every method appends control events and returns once they are folded. */
export interface ControlCommands {
  tenants: TenantCommands;
  virtualKeys: VirtualKeyCommands;
  savedConfigs: SavedConfigCommands;
  guardrails: GuardrailCommands;
  prompts: PromptCommands;
  limitPolicies: LimitPolicyCommands;
}

export interface StartControlPlaneOptions {
  bus: EventBus;
  logger: Logger;
  /** The KeyStore gateway and analytics authenticate with; the view keeps it up to date. */
  keys: KeyStore;
  vault: Vault | null;
  /** Names this replica (e.g. the gateway instance) in its control-topic consumer group. */
  replicaId: string;
  /** SWITCHYARD_KEYS_FILE records, a static layer (see ControlPlaneView for precedence). */
  seedKeys?: readonly ApiKeyRecord[];
  /** SWITCHYARD_CONFIG_FILE, loaded before serving and hot-reloaded. */
  file?: (DeclarativeFileOptions & { path: string }) | undefined;
  /**
   * "create": make sure the topic exists and accept writes (gateway, Kafka followers).
   * "if-exists": a read-only embedded follower cannot create it; without the topic it serves the
   * file layers only and says so.
   */
  topic: "create" | "if-exists";
  /** Give up starting when the backlog is not folded by then. Default 60 s. */
  readyTimeoutMs?: number;
  /** Per-subscription fetch wait (see followControlTopic). Default 100 ms. */
  maxWaitTimeMs?: number;
  topicName?: string;
}

export interface ControlPlane {
  /** What the request path reads: `view.virtualKey(...)`, `view.savedConfig(...)`, `view.keys`. */
  view: ControlPlaneView;
  /** Null when this process only follows the control topic. */
  commands: ControlCommands | null;
  file: DeclarativeFileWatcher | null;
  /** Stops watching the file and following the topic (the bus stays open: the caller owns it). */
  stop(): Promise<void>;
}

/**
 * Builds the view, loads the declarative file, folds the control topic's backlog and resolves
 * once the view is ready to serve; from then on both keep folding live.
 */
export async function startControlPlane(options: StartControlPlaneOptions): Promise<ControlPlane> {
  const { bus, logger } = options;
  const topic = options.topicName ?? CONTROL_TOPIC;
  const view = new ControlPlaneView({
    keys: options.keys,
    vault: options.vault,
    logger,
    ...(options.seedKeys ? { seedKeys: options.seedKeys } : {}),
  });
  const file = options.file
    ? await DeclarativeFileWatcher.start({ ...options.file, view, logger: logger.child({ component: "control-file" }) })
    : null;

  let subscription: Subscription | null = null;
  try {
    if (options.topic === "create") {
      await bus.ensureTopics([{ name: topic, partitions: CONTROL_TOPIC_PARTITIONS, compacted: true }]);
    }
    const follow = () =>
      followControlTopic({
        bus,
        view,
        logger,
        replicaId: options.replicaId,
        topic,
        ...(options.maxWaitTimeMs !== undefined ? { maxWaitTimeMs: options.maxWaitTimeMs } : {}),
      });
    if (options.topic === "create") {
      subscription = await follow();
    } else {
      subscription = await follow().catch((error: unknown) => {
        logger.warn(
          { err: error, topic },
          "control topic not available to this read-only process: serving the config/keys files only",
        );
        view.markReady();
        return null;
      });
    }
    await withTimeout(view.ready(), options.readyTimeoutMs ?? 60_000, `folding the ${topic} backlog`);
  } catch (error) {
    file?.close();
    await subscription?.stop();
    throw error;
  }

  const writer = subscription && options.topic === "create" ? new ControlWriter({ bus, view, topic }) : null;
  return {
    view,
    commands: writer
      ? {
          tenants: new TenantCommands(writer),
          virtualKeys: new VirtualKeyCommands(writer, options.vault),
          savedConfigs: new SavedConfigCommands(writer),
          guardrails: new GuardrailCommands(writer),
          prompts: new PromptCommands(writer),
          limitPolicies: new LimitPolicyCommands(writer),
        }
      : null,
    file,
    async stop() {
      file?.close();
      await subscription?.stop();
    },
  };
}

async function withTimeout(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`control plane: ${what} took longer than ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
