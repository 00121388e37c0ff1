import { createServer, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/**
 * An OTLP/HTTP receiver for tests: accepts POST /v1/traces and /v1/metrics as binary protobuf
 * (the default http/protobuf protocol) or JSON, decodes them with the OTLP protobufjs definitions
 * shipped in @opentelemetry/otlp-transformer (installed as `otlp-protos`), and keeps the spans in a
 * friendly shape. `failWith` makes it answer errors (an APM that rejects exports).
 */

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export interface ReceivedSpan {
  serviceName: string;
  scope: string;
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  links: { traceId: string; spanId: string }[];
  status: { code: number; message: string };
  startNanos: bigint;
  endNanos: bigint;
}

export const OtlpSpanKind = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

interface ProtoType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
  fromObject(object: unknown): unknown;
}
interface OtlpProtos {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: { ExportTraceServiceRequest: ProtoType } };
        metrics: { v1: { ExportMetricsServiceRequest: ProtoType } };
      };
    };
  };
}

const protos = createRequire(import.meta.url)("otlp-protos/build/src/generated/root.js") as OtlpProtos;
const { ExportTraceServiceRequest } = protos.opentelemetry.proto.collector.trace.v1;
const { ExportMetricsServiceRequest } = protos.opentelemetry.proto.collector.metrics.v1;
const TO_OBJECT = { longs: String, enums: Number, bytes: Array, defaults: false, arrays: true };

const hex = (bytes: unknown): string => {
  if (typeof bytes === "string") return bytes.toLowerCase(); // JSON encoding already uses hex
  if (Array.isArray(bytes) || bytes instanceof Uint8Array) return Buffer.from(bytes as number[]).toString("hex");
  return "";
};

type AnyValue = Record<string, unknown>;
function anyValue(v: AnyValue | undefined): AttributeValue {
  if (!v) return null;
  if ("stringValue" in v) return String(v.stringValue);
  if ("boolValue" in v) return Boolean(v.boolValue);
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return Number(v.doubleValue);
  if ("arrayValue" in v) return ((v.arrayValue as { values?: AnyValue[] }).values ?? []).map(anyValue);
  if ("kvlistValue" in v) return attributesOf((v.kvlistValue as { values?: KeyValue[] }).values);
  return null;
}
type KeyValue = { key: string; value?: AnyValue };
function attributesOf(list: KeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

interface ResourceSpans {
  resource?: { attributes?: KeyValue[] };
  scopeSpans?: { scope?: { name?: string }; spans?: Record<string, unknown>[] }[];
}

/** Decoded ExportTraceServiceRequest (protobuf or OTLP/JSON) → flat spans. */
export function decodeTraceExport(body: Buffer, contentType: string): ReceivedSpan[] {
  const request: { resourceSpans?: ResourceSpans[] } = contentType.includes("json")
    ? JSON.parse(body.toString("utf8"))
    : ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), TO_OBJECT);
  const spans: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const serviceName = String(attributesOf(rs.resource?.attributes)["service.name"] ?? "");
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const status = (s.status ?? {}) as { code?: number; message?: string };
        spans.push({
          serviceName,
          scope: ss.scope?.name ?? "",
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: String(s.name),
          kind: Number(s.kind ?? 0),
          attributes: attributesOf(s.attributes as KeyValue[] | undefined),
          links: ((s.links as Record<string, unknown>[] | undefined) ?? []).map((l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
          })),
          status: { code: Number(status.code ?? 0), message: status.message ?? "" },
          startNanos: BigInt(String(s.startTimeUnixNano ?? "0")),
          endNanos: BigInt(String(s.endTimeUnixNano ?? "0")),
        });
      }
    }
  }
  return spans;
}

/** Metric names in a decoded ExportMetricsServiceRequest. */
export function decodeMetricNames(body: Buffer, contentType: string): string[] {
  const request: { resourceMetrics?: { scopeMetrics?: { metrics?: { name: string }[] }[] }[] } = contentType.includes(
    "json",
  )
    ? JSON.parse(body.toString("utf8"))
    : ExportMetricsServiceRequest.toObject(ExportMetricsServiceRequest.decode(body), TO_OBJECT);
  return (request.resourceMetrics ?? []).flatMap((rm) =>
    (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((m) => m.name)),
  );
}

/** Encodes spans as an OTLP protobuf export, for testing the receiver itself. */
export function encodeTraceExport(request: unknown): Uint8Array {
  const message = ExportTraceServiceRequest.fromObject(request);
  return (ExportTraceServiceRequest as unknown as { encode(m: unknown): { finish(): Uint8Array } })
    .encode(message)
    .finish();
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body;
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly metricNames = new Set<string>();
  exports = { traces: 0, metrics: 0 };
  /** Non-null: every export is answered with this status (e.g. 503: an APM that is down). */
  failWith: number | null = null;
  #server: Server | null = null;
  #url = "";

  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      void readBody(request).then(
        (body) => {
          if (this.failWith !== null) {
            response.writeHead(this.failWith).end();
            return;
          }
          const type = String(request.headers["content-type"] ?? "application/x-protobuf");
          try {
            if (request.url === "/v1/traces") {
              this.spans.push(...decodeTraceExport(body, type));
              this.exports.traces += 1;
            } else if (request.url === "/v1/metrics") {
              for (const name of decodeMetricNames(body, type)) this.metricNames.add(name);
              this.exports.metrics += 1;
            } else {
              response.writeHead(404).end();
              return;
            }
          } catch {
            response.writeHead(400).end();
            return;
          }
          // An empty ExportServiceResponse: zero bytes in protobuf, {} in JSON.
          if (type.includes("json")) response.writeHead(200, { "content-type": "application/json" }).end("{}");
          else response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
        },
        () => response.writeHead(400).end(),
      );
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, "127.0.0.1", resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#server = null;
  }

  /** Spans of one trace, by trace id. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }
}
