import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { buildAnalyticsApp } from "@switchyard/analytics-api";
import { buildTestGateway, type CollectingSink } from "@switchyard/gateway/testing";
import { createLogger, KeyStore, runMigrations } from "@switchyard/platform";
import { openTestClickHouse, type TestClickHouse } from "@switchyard/platform/testing";
import { expect } from "vitest";

type App = ReturnType<typeof buildAnalyticsApp>;

/** Both HTTP services listening on loopback: the gateway (mock provider, collecting sink) and the analytics API. */
export interface Services {
  gateway: { app: App; port: number; sink: CollectingSink };
  analytics: { app: App; port: number };
  stop(): Promise<void>;
}

export type ServiceName = "gateway" | "analytics";

const portOf = (app: App) => (app.server.address() as AddressInfo).port;

export async function startServices(): Promise<Services> {
  // A small body limit, so the fuzz reaches 413 without writing megabytes.
  const gw = buildTestGateway({ bodyLimitBytes: 64 * 1024 });
  await gw.app.listen({ port: 0, host: "127.0.0.1" });
  let db: TestClickHouse | undefined;
  try {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
    const analytics = buildAnalyticsApp({
      clickhouse: db.clickhouse,
      // Open local-dev mode: every request is authorised, so hostile input reaches the routes.
      keyStore: new KeyStore([], "default"),
      logger: createLogger({ name: "analytics-fuzz", level: "silent" }),
    });
    await analytics.listen({ port: 0, host: "127.0.0.1" });
    const opened = db;
    return {
      gateway: { app: gw.app, port: portOf(gw.app), sink: gw.sink },
      analytics: { app: analytics, port: portOf(analytics) },
      async stop() {
        await analytics.close();
        await gw.close();
        await opened.dispose();
      },
    };
  } catch (error) {
    await gw.close();
    await db?.dispose();
    throw error;
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Bytes after the response's Content-Length: a second, unsolicited response. Must be empty. */
  trailing: string;
}

/**
 * Writes `request` verbatim on a fresh socket and reads one response: for requests no HTTP client
 * would send (bad header bytes, junk Expect, broken chunking). Resolves once a complete response is in
 * (Content-Length honoured), or when the server closes the socket.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) return reject(error);
      resolve(parseResponse(data.toString("latin1")));
    };
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (isComplete(data.toString("latin1"))) finish();
    });
    // The server may reset after answering (it closes without reading an unread body): keep what came.
    socket.on("error", (error) => (data.length > 0 ? finish() : finish(error)));
    socket.on("close", () => finish());
  });
}

/** Drops interim 1xx responses (e.g. 100 Continue for `Expect: 100-continue`): the final answer follows. */
function finalResponse(text: string): string {
  let rest = text;
  while (/^HTTP\/1\.[01] 1\d\d /.test(rest)) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) return "";
    rest = rest.slice(end + 4);
  }
  return rest;
}

function isComplete(raw: string): boolean {
  const text = finalResponse(raw);
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return false;
  const head = text.slice(0, end);
  // A chunked answer (an SSE stream) is complete at its last, empty chunk.
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return text.endsWith("\r\n0\r\n\r\n");
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return length !== null && Buffer.byteLength(text.slice(end + 4), "latin1") >= Number(length[1]);
}

function parseResponse(raw: string): RawResponse {
  const text = finalResponse(raw);
  const end = text.indexOf("\r\n\r\n");
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const rest = end === -1 ? "" : text.slice(end + 4);
  // A chunked body is kept as sent (chunk sizes included); only its status and headers are judged.
  const length = headers["content-length"] === undefined ? rest.length : Number(headers["content-length"]);
  const decode = (latin1: string) => Buffer.from(latin1, "latin1").toString("utf8");
  return { status, headers, body: decode(rest.slice(0, length)), trailing: decode(rest.slice(length)) };
}

/** The one error shape: `{"error": {message, type, param, code}}` with string message/type/code and string|null param. */
export function isOurErrorShape(body: unknown): boolean {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== "error") return false;
  const error = (body as { error: unknown }).error;
  if (typeof error !== "object" || error === null) return false;
  const e = error as Record<string, unknown>;
  return (
    typeof e.message === "string" &&
    typeof e.type === "string" &&
    typeof e.code === "string" &&
    (e.param === null || typeof e.param === "string")
  );
}

/** Asserts an error answer: the status, a JSON content type and our shape with `code` (and `param` if given). */
export function expectOurError(response: RawResponse, status: number, code: string, param?: string | null): void {
  expect(response.status, response.body).toBe(status);
  expect(response.headers["content-type"] ?? "").toMatch(/^application\/json/);
  const body = JSON.parse(response.body) as { error: { code: string; param: string | null } };
  expect(isOurErrorShape(body), response.body).toBe(true);
  expect(body.error.code).toBe(code);
  if (param !== undefined) expect(body.error.param).toBe(param);
}

/** A well-formed HTTP/1.1 request with a Content-Length, closing the connection after the answer. */
export function httpRequest(method: string, path: string, headers: Record<string, string> = {}, body = ""): string {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: localhost", "Connection: close"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== "" || ["POST", "PUT", "PATCH"].includes(method))
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

export const CHAT_BODY = JSON.stringify({ model: "mock-model", messages: [{ role: "user", content: "hello" }] });
export const MOCK_HEADERS = { "content-type": "application/json", "x-portkey-provider": "mock" };

/** `{"a":{"a":…1…}}` nested `depth` levels, built as text (JSON.stringify itself overflows at 10,000). */
export function deeplyNested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}
