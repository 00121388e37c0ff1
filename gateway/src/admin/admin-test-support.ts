import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ControlPlane,
  createLogger,
  EmbeddedEventBus,
  KeyStore,
  MasterKey,
  startControlPlane,
  Vault,
} from "@switchyard/platform";
import type { FastifyInstance, InjectOptions } from "fastify";
import { Agent } from "undici";
import { buildGatewayApp } from "../app.ts";
import { createProviderRegistry, ProviderId } from "../providers/registry.ts";
import { CollectingSink } from "../test-support.ts";
import { validateSavedConfig } from "./saved-config-validation.ts";

/** Test-only: gateway apps with the admin API over a real control plane on a temporary embedded log. */

export const ADMIN_TOKEN = "test-admin-token-0123456789";
const logger = createLogger({ name: "admin-test", level: "silent" });

export interface TestGateway {
  app: FastifyInstance;
  sink: CollectingSink;
  control: ControlPlane;
  close: () => Promise<void>;
}

export class AdminTestHarness {
  readonly dataDir: string;
  private readonly bus: EmbeddedEventBus;
  private readonly gateways: TestGateway[] = [];

  private constructor(dataDir: string, bus: EmbeddedEventBus) {
    this.dataDir = dataDir;
    this.bus = bus;
  }

  static async open(): Promise<AdminTestHarness> {
    const dataDir = await mkdtemp(join(tmpdir(), "switchyard-admin-"));
    return new AdminTestHarness(dataDir, await EmbeddedEventBus.open({ dataDir: join(dataDir, "log"), logger }));
  }

  async close(): Promise<void> {
    for (const gw of this.gateways) await gw.close();
    await this.bus.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** A gateway app over a real control plane on the embedded log (the same wiring as startGateway). */
  async gateway(options: { token?: string; vault?: Vault | null; file?: string } = {}): Promise<TestGateway> {
    const vault = options.vault === undefined ? new Vault([MasterKey.generate()]) : options.vault;
    const keys = new KeyStore([], "default");
    const control = await startControlPlane({
      bus: this.bus,
      logger,
      keys,
      vault,
      replicaId: `admin-test-${this.gateways.length}`,
      topic: "create",
      file: options.file
        ? { path: options.file, env: {}, vault, virtualKeys: "load", validateConfig: validateSavedConfig }
        : undefined,
    });
    const sink = new CollectingSink();
    const dispatcher = new Agent({ connections: 4 });
    const app = buildGatewayApp({
      logger,
      bodyLimitBytes: 1024 * 1024,
      keys,
      providers: createProviderRegistry({ dispatcher, mockLatencyMs: 0 }),
      sink,
      eventEnv: { gatewayInstance: "admin-test", priceOverrides: [] },
      health: { events: () => ({}) },
      control: control.view,
      admin: { token: options.token, control, knownProviders: ProviderId.options, validateSavedConfig },
    });
    const gw = {
      app,
      sink,
      control,
      close: async () => {
        await app.close();
        await control.stop();
        await dispatcher.close();
      },
    };
    this.gateways.push(gw);
    return gw;
  }
}

export const admin = (method: InjectOptions["method"], url: string, payload?: unknown): InjectOptions => ({
  method,
  url: `/v1/admin${url}`,
  headers: {
    authorization: `Bearer ${ADMIN_TOKEN}`,
    ...(payload === undefined ? {} : { "content-type": "application/json" }),
  },
  ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
});

export const chat = (key?: string): InjectOptions => ({
  method: "POST",
  url: "/v1/chat/completions",
  headers: {
    "content-type": "application/json",
    "x-portkey-provider": "mock",
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  },
  payload: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
});

export async function allBytesUnder(dir: string): Promise<Buffer> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
}
