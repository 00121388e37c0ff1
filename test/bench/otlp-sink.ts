import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeTraceExport } from "../src/otel/otlp-receiver.ts";

/**
 * A local OTLP/HTTP receiver in its own process for the tracing bench (like a collector next to the
 * gateway): decodes every protobuf trace export, counts spans, answers 200. GET /stats → counts.
 */
const stats = { exports: 0, spans: 0, bytes: 0, failed: 0 };
const server = createServer((request, response) => {
  if (request.method === "GET" && request.url === "/stats") {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
    return;
  }
  const chunks: Buffer[] = [];
  request.on("data", (c: Buffer) => chunks.push(c));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    stats.bytes += body.length;
    if (request.url === "/v1/traces") {
      try {
        stats.spans += decodeTraceExport(body, String(request.headers["content-type"] ?? "")).length;
        stats.exports += 1;
      } catch {
        stats.failed += 1;
      }
    }
    response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
  });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
