import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LimitAlertEvent } from "@switchyard/events";
import {
  activeTelemetry,
  type ClickHouse,
  createLogger,
  EmbeddedEventBus,
  KeyStore,
  MasterKey,
  type Meter,
  Scopes,
  startControlPlane,
  Vault,
} from "@switchyard/platform";
import type { FastifyInstance, InjectOptions } from "fastify";
import { Agent } from "undici";
import { ADMIN_TOKEN } from "../admin/admin-test-support.ts";
import { validateSavedConfig } from "../admin/saved-config-validation.ts";
import { buildGatewayApp } from "../app.ts";
import { createProviderRegistry, ProviderId } from "../providers/registry.ts";
import { CollectingSink } from "../test-support.ts";
import { DEFAULT_LIMITS_SETTINGS, type LimitsSettings } from "./limits-config.ts";
import { createLimits, type Limits } from "./limits-service.ts";

/** Test-only: gateway replicas with limits over one real control plane (a temporary embedded log). */

const logger = createLogger({ name: "limits-test", level: "silent" });

export interface LimitsGateway {
  app: FastifyInstance;
  sink: CollectingSink;
  limits: Limits;
  /** Alert events this replica published. */
  alerts: LimitAlertEvent[];
  close(): Promise<void>;
}

export class LimitsHarness {
  readonly dataDir: string;
  readonly bus: EmbeddedEventBus;
  private readonly open: LimitsGateway[] = [];
  private replicas = 0;

  private constructor(dataDir: string, bus: EmbeddedEventBus) {
    this.dataDir = dataDir;
    this.bus = bus;
  }

  static async open(): Promise<LimitsHarness> {
    const dataDir = await mkdtemp(join(tmpdir(), "switchyard-limits-"));
    return new LimitsHarness(dataDir, await EmbeddedEventBus.open({ dataDir: join(dataDir, "log"), logger }));
  }

  async gateway(
    options: {
      settings?: Partial<LimitsSettings>;
      now?: () => number;
      clickhouse?: ClickHouse;
      file?: string;
      /** Where the limits' metrics go (default: the process' telemetry, a no-op in tests). */
      meter?: Meter;
    } = {},
  ): Promise<LimitsGateway> {
    const keys = new KeyStore([], "default");
    const control = await startControlPlane({
      bus: this.bus,
      logger,
      keys,
      vault: new Vault([MasterKey.generate()]),
      replicaId: `limits-test-${this.replicas++}`,
      topic: "create",
      file: options.file ? { path: options.file, env: {}, vault: null, virtualKeys: "skip" } : undefined,
    });
    const sink = new CollectingSink();
    const alerts: LimitAlertEvent[] = [];
    const limits = createLimits({
      settings: { ...DEFAULT_LIMITS_SETTINGS, ...options.settings },
      policies: control.view,
      priceOverrides: [],
      logger,
      meter: options.meter ?? activeTelemetry().meter(Scopes.gateway),
      gatewayInstance: "limits-test",
      publishAlert: (event) => alerts.push(event),
      clickhouse: options.clickhouse ?? null,
      ...(options.now ? { now: options.now } : {}),
    });
    if ("ready" in limits.store)
      await (limits.store as { ready(ms: number): Promise<void> }).ready(2000).catch(() => undefined);
    await limits.rebuild();
    const dispatcher = new Agent({ connections: 4 });
    const app = buildGatewayApp({
      logger,
      bodyLimitBytes: 1024 * 1024,
      keys,
      providers: createProviderRegistry({ dispatcher, mockLatencyMs: 0 }),
      sink,
      eventEnv: { gatewayInstance: "limits-test", priceOverrides: [] },
      health: { events: () => ({}) },
      control: control.view,
      limits,
      admin: { token: ADMIN_TOKEN, control, knownProviders: ProviderId.options, validateSavedConfig },
    });
    const gw: LimitsGateway = {
      app,
      sink,
      limits,
      alerts,
      close: async () => {
        await app.close();
        await limits.close();
        await control.stop();
        await dispatcher.close();
      },
    };
    this.open.push(gw);
    return gw;
  }

  async close(): Promise<void> {
    for (const gw of this.open) await gw.close().catch(() => undefined);
    await this.bus.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

export { admin } from "../admin/admin-test-support.ts";

/** A chat request to the mock provider; `max_tokens` bounds its worst case. */
export function chatWith(
  options: {
    metadata?: Record<string, string>;
    model?: string;
    maxTokens?: number | null;
    headers?: Record<string, string>;
  } = {},
): InjectOptions {
  const body: Record<string, unknown> = {
    model: options.model ?? "gpt-4o-mini",
    messages: [{ role: "user", content: "Say hello to the budget." }],
  };
  if (options.maxTokens !== null) body.max_tokens = options.maxTokens ?? 100;
  return {
    method: "POST",
    url: "/v1/chat/completions",
    headers: {
      "content-type": "application/json",
      "x-portkey-provider": "mock",
      ...(options.metadata ? { "x-portkey-metadata": JSON.stringify(options.metadata) } : {}),
      ...options.headers,
    },
    payload: JSON.stringify(body),
  };
}
