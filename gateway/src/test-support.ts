import type { FeedbackEvent, RequestEvent } from "@switchyard/events";
import { type ApiKeyRecord, ControlPlaneView, createLogger, KeyStore } from "@switchyard/platform";
import { Agent } from "undici";
import { buildGatewayApp } from "./app.ts";
import type { ResponseCache } from "./cache/response-cache.ts";
import type { EventSink } from "./pipeline/emit.ts";
import type { PipelineCustomizer } from "./pipeline/pipeline.ts";
import { createProviderRegistry } from "./providers/registry.ts";
import {
  createGatewayTelemetry,
  type GatewayTelemetry,
  type RequestEnd,
  type RequestStart,
  type RequestTelemetry,
  type StreamChunkFacts,
} from "./telemetry/index.ts";

// Endpoint specs, for benches that time an endpoint's own work (parse, convert, render) in process.
export { chatEndpoint } from "./routes/chat-completions.ts";
export { responsesEndpoint } from "./routes/responses.ts";
// The fake Google token endpoint Vertex service accounts exchange their JWT at (testing/).
export { FakeGoogleTokenServer, type FakeServiceAccount, makeServiceAccount } from "./testing/google-token-server.ts";

/** Collects emitted events so gateway tests can assert on them; e2e tests use the real bus. */
export class CollectingSink implements EventSink {
  readonly events: RequestEvent[] = [];
  readonly feedback: FeedbackEvent[] = [];
  emit(event: RequestEvent): void {
    this.events.push(event);
  }
  emitFeedback(event: FeedbackEvent): void {
    this.feedback.push(event);
  }
  async waitFor(count: number, timeoutMs = 5000): Promise<RequestEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${this.events.length}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return this.events;
  }
}

/**
 * Telemetry that keeps what each request's `end` was given (what the route hands telemetry, e.g.
 * responseId / finishReasons) and each stream chunk's facts, and passes everything on to `inner`
 * (no-op by default). The route hands over chunks only while the span records: a tracing `inner`.
 */
export class RecordingTelemetry implements GatewayTelemetry {
  readonly ends: RequestEnd[] = [];
  readonly chunks: StreamChunkFacts[] = [];
  readonly #inner: GatewayTelemetry;
  constructor(inner: GatewayTelemetry = createGatewayTelemetry()) {
    this.#inner = inner;
  }
  get tracing(): boolean {
    return this.#inner.tracing;
  }
  get captureContent(): boolean {
    return this.#inner.captureContent;
  }
  startRequest(start: RequestStart): RequestTelemetry {
    const request = this.#inner.startRequest(start);
    const { ends, chunks } = this;
    // A proxy, not a copy: the request telemetry is a class instance with private fields.
    return new Proxy(request, {
      get(target, prop) {
        if (prop === "end") {
          return (result: RequestEnd) => {
            ends.push(result);
            target.end(result);
          };
        }
        if (prop === "streamChunk") {
          return (chunk: StreamChunkFacts) => {
            chunks.push(chunk);
            target.streamChunk(chunk);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }
}

export function buildTestGateway(
  options: {
    keys?: ApiKeyRecord[];
    bodyLimitBytes?: number;
    telemetry?: GatewayTelemetry;
    pipeline?: PipelineCustomizer;
    /** Vertex service accounts exchange their JWT here (a fake token server). */
    vertexTokenUrl?: string;
    maxUploadBytes?: number;
    consoleOrigin?: string;
    /** The response cache the cache stage uses (default: an in-process one of its own). */
    cache?: ResponseCache;
  } = {},
) {
  const sink = new CollectingSink();
  const logger = createLogger({ name: "gateway-test", level: "silent" });
  const keys = new KeyStore([], "default");
  // An empty control plane seeded with the test's keys: no virtual keys or saved configs.
  const control = new ControlPlaneView({ keys, vault: null, logger, seedKeys: options.keys ?? [] });
  control.markReady();
  const dispatcher = new Agent({ connections: 16 });
  const app = buildGatewayApp({
    logger,
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    keys,
    control,
    providers: createProviderRegistry({
      dispatcher,
      mockLatencyMs: 0,
      ...(options.vertexTokenUrl ? { vertexTokenUrl: options.vertexTokenUrl } : {}),
    }),
    sink,
    eventEnv: { gatewayInstance: "test-gw", priceOverrides: [] },
    health: { events: () => ({ queueDepth: 0 }) },
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.pipeline ? { pipeline: options.pipeline } : {}),
    ...(options.maxUploadBytes ? { maxUploadBytes: options.maxUploadBytes } : {}),
    ...(options.consoleOrigin ? { consoleOrigin: options.consoleOrigin } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
  });
  const close = async () => {
    await app.close();
    await dispatcher.close();
  };
  return { app, sink, close };
}

/** The parts of OpenAI response bodies the tests read. */
export interface OpenAIBody {
  object?: string;
  model?: string;
  error: { message: string; type: string; param: string | null; code: string | null };
}
