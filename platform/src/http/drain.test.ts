import { once } from "node:events";
import { type AddressInfo, connect, type Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionDrain } from "./drain.ts";

const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: test\r\n\r\n`;

/** A server with a fast route, a route that answers late (a slow upstream) and one that streams. */
async function server(): Promise<{ app: FastifyInstance; port: number; drain: ConnectionDrain }> {
  const app = Fastify();
  app.get("/ping", async () => ({ pong: true }));
  app.get<{ Querystring: { ms: string } }>("/slow", async (request) => {
    await delay(Number(request.query.ms));
    return { slow: true };
  });
  app.get<{ Querystring: { ms: string } }>("/stream", async (request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { "content-type": "text/plain" });
    reply.raw.write("first ");
    await delay(Number(request.query.ms));
    reply.raw.end("last");
  });
  await app.ready();
  const drain = new ConnectionDrain(app.server);
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, port: (app.server.address() as AddressInfo).port, drain };
}

interface RawClient {
  socket: Socket;
  received: () => string;
  closed: Promise<void>;
  error: () => string | undefined;
  waitFor: (text: string, count?: number) => Promise<void>;
}

/** A raw HTTP/1.1 connection and everything it receives. */
async function rawClient(port: number): Promise<RawClient> {
  const socket = connect(port, "127.0.0.1");
  let text = "";
  let failure: string | undefined;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
  });
  socket.on("error", (error: NodeJS.ErrnoException) => {
    failure = error.code ?? error.message;
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await once(socket, "connect");
  const waitFor = async (needle: string, count = 1) => {
    const deadline = Date.now() + 5_000;
    while (text.split(needle).length - 1 < count) {
      if (Date.now() > deadline || socket.destroyed) throw new Error(`no ${needle} ×${count} in: ${text}`);
      await once(socket, "data");
    }
  };
  return { socket, received: () => text, closed, error: () => failure, waitFor };
}

/** A keep-alive connection that has already carried one answer. */
async function usedClient(port: number): Promise<RawClient> {
  const client = await rawClient(port);
  client.socket.write(get("/ping"));
  await client.waitFor('{"pong":true}');
  return client;
}

const answers = (text: string) => text.split("HTTP/1.1 200").length - 1;
const lastAnswer = (text: string) => text.slice(text.lastIndexOf("HTTP/1.1 200"));

describe("ConnectionDrain: shutting down cuts no request a client already sent", () => {
  let app: FastifyInstance | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it("serves a request still unread in the socket buffer, with Connection: close, then ends", async () => {
    const s = await server();
    app = s.app;
    const client = await usedClient(s.port);
    // Written and drained in one tick: the server has not read the request when the drain starts.
    client.socket.write(get("/ping"));
    const summary = await s.drain.drain({ quietMs: 5_000, maxMs: 10_000 });
    await client.closed;
    expect(answers(client.received())).toBe(2);
    expect(lastAnswer(client.received())).toMatch(/connection: close/i);
    expect(client.error()).toBeUndefined();
    expect(summary).toMatchObject({ served: 1, ended: "no-connections" });
  });

  it("without a drain, close() cuts that request: why the drain exists", async () => {
    const s = await server();
    app = s.app;
    const client = await usedClient(s.port);
    client.socket.write(get("/ping"));
    await app.close();
    await client.closed;
    expect(answers(client.received())).toBe(1);
    expect(client.error()).toBe("ECONNRESET");
  });

  it("waits for an answer slower than quietMs, which then closes its connection", async () => {
    const s = await server();
    app = s.app;
    const client = await rawClient(s.port);
    client.socket.write(get("/slow?ms=300"));
    const summary = await s.drain.drain({ quietMs: 20, maxMs: 10_000 });
    await client.closed;
    expect(client.received()).toMatch(/connection: close[\s\S]*\{"slow":true\}/i);
    expect(summary.cut).toBe(0);
    expect(["no-connections", "quiet"]).toContain(summary.ended);
  });

  it("ends a keep-alive connection whose answer had started, once that answer is complete", async () => {
    const s = await server();
    app = s.app;
    const client = await rawClient(s.port);
    client.socket.write(get("/stream?ms=200"));
    await client.waitFor("first ");
    const summary = await s.drain.drain({ quietMs: 20, maxMs: 10_000 });
    await client.closed;
    expect(client.received()).toMatch(/keep-alive[\s\S]*first [\s\S]*last/i);
    // The connection is ended as its answer completes: whether the poll sees it gone or quiet first, nothing is cut.
    expect(summary).toMatchObject({ inFlightAtStart: 1, cut: 0 });
    expect(["no-connections", "quiet"]).toContain(summary.ended);
  });

  it("answers every pipelined request that arrives during the drain; only the last closes", async () => {
    const s = await server();
    app = s.app;
    const client = await usedClient(s.port);
    client.socket.write(get("/slow?ms=50") + get("/ping") + get("/ping"));
    const summary = await s.drain.drain({ quietMs: 5_000, maxMs: 10_000 });
    await client.closed;
    expect(answers(client.received())).toBe(4);
    expect(client.received().match(/connection: close/gi)).toHaveLength(1);
    expect(lastAnswer(client.received())).toMatch(/connection: close/i);
    expect(summary).toMatchObject({ served: 3, ended: "no-connections" });
  });

  it("closes idle connections after quietMs, and cuts what still runs at maxMs", async () => {
    const s = await server();
    app = s.app;
    const idle = await usedClient(s.port);
    const quiet = await s.drain.drain({ quietMs: 30, maxMs: 10_000 });
    await idle.closed;
    expect(quiet).toMatchObject({ served: 0, ended: "quiet" });

    const s2 = await server();
    const busy = await rawClient(s2.port);
    busy.socket.write(get("/slow?ms=5000"));
    const capped = await s2.drain.drain({ quietMs: 30, maxMs: 100 });
    await busy.closed;
    await s2.app.close();
    expect(capped).toMatchObject({ cut: 1, ended: "max" });
    expect(answers(busy.received())).toBe(0);
  });

  it("ends at once when no connection is open", async () => {
    const s = await server();
    app = s.app;
    const summary = await s.drain.drain({ quietMs: 10_000, maxMs: 10_000 });
    expect(summary.ended).toBe("no-connections");
  });
});
