import { type Context, type Meter, TraceFlags } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace";
import { Attr, Metrics } from "./names.ts";
import type { SpanOutcomes } from "./otlp-proto/span-processor.ts";
import type { SpanDeliveryStats } from "./telemetry.ts";

/**
 * Counts what happens to every sampled span between span.end() and the APM, around a
 * BatchSpanProcessor: queued, exported, or dropped — because the queue was full (the collector is
 * slower than the traffic, or unreachable long enough) or because its export failed. Dropping is
 * the intended behaviour under back-pressure (a request never waits for telemetry); counting it is
 * what makes it visible: switchyard.otel.spans.dropped{switchyard.otel.drop_reason}.
 * The http/protobuf pipeline (ProtoBatchSpanProcessor) reports into `outcomes`; the SDK's processor
 * and exporters (http/json, grpc) are wrapped by `processor()` and `exporter()`.
 */
export class SpanDelivery {
  readonly #maxQueue: number;
  #pending = 0;
  readonly stats: SpanDeliveryStats = { exported: 0, dropped: { queueFull: 0, exportFailed: 0 } };
  readonly #onDrop: (count: number, reason: "queue_full" | "export_failed") => void;
  readonly #onExport: (count: number) => void;

  constructor(maxQueue: number, meter: Meter) {
    this.#maxQueue = maxQueue;
    const dropped = meter.createCounter(Metrics.otelSpansDropped, {
      unit: "{span}",
      description: "Spans that never reached the OTLP endpoint: queue full or export failed",
    });
    const exported = meter.createCounter(Metrics.otelSpansExported, {
      unit: "{span}",
      description: "Spans the OTLP endpoint accepted",
    });
    this.#onDrop = (count, reason) => dropped.add(count, { [Attr.dropReason]: reason });
    this.#onExport = (count) => exported.add(count);
  }

  readonly outcomes: SpanOutcomes = {
    queueFull: (count) => {
      this.stats.dropped.queueFull += count;
      this.#onDrop(count, "queue_full");
    },
    exported: (count) => {
      this.stats.exported += count;
      this.#onExport(count);
    },
    exportFailed: (count) => {
      this.stats.dropped.exportFailed += count;
      this.#onDrop(count, "export_failed");
    },
  };

  /** Wraps the BatchSpanProcessor: a span that would overflow its queue is counted and not handed on. */
  processor(inner: SpanProcessor): SpanProcessor {
    return {
      onStart: (span: Span, parentContext: Context) => inner.onStart(span, parentContext),
      onEnd: (span: ReadableSpan) => {
        if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
        if (this.#pending >= this.#maxQueue) {
          this.outcomes.queueFull(1);
          return;
        }
        this.#pending += 1;
        inner.onEnd(span);
      },
      forceFlush: () => inner.forceFlush(),
      shutdown: () => inner.shutdown(),
    };
  }

  /** Wraps the OTLP exporter: each batch's result settles its spans as exported or dropped. */
  exporter(inner: SpanExporter): SpanExporter {
    return {
      export: (spans: ReadableSpan[], resultCallback: (result: ExportResult) => void) => {
        let settled = false;
        inner.export(spans, (result) => {
          if (!settled) {
            settled = true;
            this.#pending = Math.max(0, this.#pending - spans.length);
            if (result.code === ExportResultCode.SUCCESS) this.outcomes.exported(spans.length);
            else this.outcomes.exportFailed(spans.length);
          }
          resultCallback(result);
        });
      },
      shutdown: () => inner.shutdown(),
      forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
    };
  }
}
