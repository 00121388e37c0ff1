import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeTraceExport } from "../src/otel/otlp-receiver.ts";

/**
 * A local OTLP/HTTP receiver in its own process for the tracing bench (like a collector next to the
 * gateway), answering 200 to every export. It shares the bench machine's cores with the gateway, so it
 * decodes only every SAMPLE-th trace export (checking they are well-formed spans) and estimates the span
 * count from the bytes; a real collector would run elsewhere. GET /stats → counts.
 */
const SAMPLE = 20;
const stats = { exports: 0, spans: 0, bytes: 0, failed: 0, decodedExports: 0, decodedSpans: 0, decodedBytes: 0 };
const server = createServer((request, response) => {
  if (request.method === "GET" && request.url === "/stats") {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
    return;
  }
  const chunks: Buffer[] = [];
  request.on("data", (c: Buffer) => chunks.push(c));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    if (request.url === "/v1/traces") stats.bytes += body.length;
    if (request.url === "/v1/traces") {
      stats.exports += 1;
      if (stats.exports % SAMPLE === 1) {
        try {
          stats.decodedSpans += decodeTraceExport(body, String(request.headers["content-type"] ?? "")).length;
          stats.decodedBytes += body.length;
          stats.decodedExports += 1;
        } catch {
          stats.failed += 1;
        }
      }
      stats.spans = Math.round((stats.decodedSpans / Math.max(1, stats.decodedBytes)) * stats.bytes);
    }
    response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
  });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
