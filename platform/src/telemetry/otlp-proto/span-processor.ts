import { TraceFlags } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace";
import { ProtoWriter } from "./proto-writer.ts";
import { type EncodedScope, writeExportRequest, writeSpan } from "./span-encoding.ts";

/** Where a span ends up, for switchyard.otel.spans.{exported,dropped}. */
export interface SpanOutcomes {
  queueFull(count: number): void;
  exported(count: number): void;
  exportFailed(count: number): void;
}

export interface ProtoBatchOptions {
  send: (body: Uint8Array) => Promise<void>;
  outcomes: SpanOutcomes;
  /** Most spans held (open batch + sealed batches + the one being exported); beyond it spans are dropped. */
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMs: number;
  exportTimeoutMs: number;
}

interface OpenScope {
  scope: InstrumentationScope;
  writer: ProtoWriter;
}

interface SealedBatch {
  resource: Resource;
  scopes: EncodedScope[];
  count: number;
}

/**
 * The http/protobuf span pipeline: a batch span processor that encodes each span to OTLP protobuf
 * the moment it ends, on the request's own tick, and keeps only bytes until export. Compared with
 * BatchSpanProcessor + OTLPTraceExporter this does the same work once instead of twice (no size
 * estimation pass) and holds no span objects for the ~1 s until export, so ended spans die young
 * instead of being promoted into the old generation the garbage collector must then sweep.
 *
 * Guarantees as the SDK's: a request never waits for telemetry; batches go out when full or every
 * scheduledDelayMs, one at a time; spans beyond maxQueueSize are dropped and counted; forceFlush and
 * shutdown export everything ended so far. Unsampled spans are ignored.
 */
export class ProtoBatchSpanProcessor implements SpanProcessor {
  readonly #options: ProtoBatchOptions;
  /** The open batch, one writer per instrumentation scope, in first-seen order. */
  #open = new Map<InstrumentationScope, OpenScope>();
  #openCount = 0;
  #resource: Resource | null = null;
  readonly #sealed: SealedBatch[] = [];
  /** Spans accepted and not yet settled (exported or failed). */
  #held = 0;
  #exporting: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #shutdown = false;
  /** Size the next scope writer for the last batch, so a steady load never regrows buffers. */
  #lastScopeBytes = 16 * 1024;

  constructor(options: ProtoBatchOptions) {
    this.#options = options;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#shutdown || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.#held >= this.#options.maxQueueSize) {
      this.#options.outcomes.queueFull(1);
      return;
    }
    this.#resource ??= span.resource;
    const scope = span.instrumentationScope;
    let open = this.#open.get(scope);
    if (!open) {
      open = { scope, writer: new ProtoWriter(this.#lastScopeBytes) };
      this.#open.set(scope, open);
    }
    const w = open.writer;
    const before = w.pos;
    try {
      w.tag(2, 2); // ScopeSpans.spans
      writeSpan(w, span);
    } catch {
      w.pos = before; // an unencodable span is lost alone, never the batch
      this.#options.outcomes.exportFailed(1);
      return;
    }
    this.#held += 1;
    this.#openCount += 1;
    if (this.#openCount >= this.#options.maxExportBatchSize) {
      this.#seal();
      this.#kick();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#seal();
        this.#kick();
      }, this.#options.scheduledDelayMs);
      this.#timer.unref();
    }
  }

  async forceFlush(): Promise<void> {
    this.#seal();
    this.#kick();
    while (this.#exporting) await this.#exporting;
  }

  async shutdown(): Promise<void> {
    if (this.#shutdown) return;
    await this.forceFlush();
    this.#shutdown = true;
  }

  #seal(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#openCount === 0 || this.#resource === null) return;
    const scopes: EncodedScope[] = [];
    let largest = 0;
    for (const { scope, writer } of this.#open.values()) {
      scopes.push({ scope, spans: writer.buf.subarray(0, writer.pos) });
      largest = Math.max(largest, writer.pos);
    }
    this.#lastScopeBytes = Math.max(16 * 1024, largest + (largest >>> 3));
    this.#sealed.push({ resource: this.#resource, scopes, count: this.#openCount });
    this.#open = new Map();
    this.#openCount = 0;
  }

  /** Starts the export loop unless it runs: one batch at a time, until none is sealed. */
  #kick(): void {
    if (this.#exporting || this.#sealed.length === 0) return;
    this.#exporting = (async () => {
      for (let batch = this.#sealed.shift(); batch; batch = this.#sealed.shift()) await this.#export(batch);
    })().finally(() => {
      this.#exporting = null;
    });
  }

  async #export(batch: SealedBatch): Promise<void> {
    const { outcomes, exportTimeoutMs } = this.#options;
    let timer: NodeJS.Timeout | undefined;
    try {
      if (batch.resource.asyncAttributesPending) await batch.resource.waitForAsyncAttributes?.();
      let bytes = 64;
      for (const s of batch.scopes) bytes += s.spans.length + 256;
      const w = new ProtoWriter(bytes);
      writeExportRequest(w, batch.resource, batch.scopes);
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("OTLP export timed out")), exportTimeoutMs);
      });
      await Promise.race([this.#options.send(w.buf.subarray(0, w.pos)), timedOut]);
      outcomes.exported(batch.count);
    } catch {
      outcomes.exportFailed(batch.count);
    } finally {
      clearTimeout(timer);
      this.#held -= batch.count;
    }
  }
}
