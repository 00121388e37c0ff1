import type { FeedbackEvent, RequestEvent } from "@switchyard/events";
import { type ApiKeyRecord, createLogger, KeyStore } from "@switchyard/platform";
import { Agent } from "undici";
import { buildGatewayApp } from "./app.ts";
import type { EventSink } from "./pipeline/emit.ts";
import { createProviderRegistry } from "./providers/registry.ts";

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

export function buildTestGateway(options: { keys?: ApiKeyRecord[]; bodyLimitBytes?: number } = {}) {
  const sink = new CollectingSink();
  const dispatcher = new Agent({ connections: 16 });
  const app = buildGatewayApp({
    logger: createLogger({ name: "gateway-test", level: "silent" }),
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    keys: new KeyStore(options.keys ?? [], "default"),
    providers: createProviderRegistry({ dispatcher, mockLatencyMs: 0 }),
    sink,
    eventEnv: { gatewayInstance: "test-gw", priceOverrides: [] },
    health: { events: () => ({ queueDepth: 0 }) },
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
