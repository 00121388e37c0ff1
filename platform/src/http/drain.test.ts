import { once } from "node:events";
import { type AddressInfo, connect, type Socket } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { drainConnections } from "./drain.ts";

const REQUEST = "GET /ping HTTP/1.1\r\nhost: test\r\n\r\n";

async function pingServer(): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify();
  app.get("/ping", async () => ({ pong: true }));
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { app, port: (app.server.address() as AddressInfo).port };
}

/** A raw keep-alive connection that has already carried one answer, and everything it receives. */
async function usedConnection(
  port: number,
): Promise<{ socket: Socket; received: () => string; ended: Promise<void>; error: () => string | undefined }> {
  const socket = connect(port, "127.0.0.1");
  let text = "";
  let failure: string | undefined;
  socket.on("error", (error: NodeJS.ErrnoException) => {
    failure = error.code ?? error.message;
  });
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    text += chunk;
  });
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await once(socket, "connect");
  socket.write(REQUEST);
  const deadline = Date.now() + 5_000;
  while (!text.includes('{"pong":true}')) {
    if (Date.now() > deadline) throw new Error(`no first answer: ${text}`);
    await once(socket, "data");
  }
  return { socket, received: () => text, ended, error: () => failure };
}

const answers = (text: string) => text.split("HTTP/1.1 200").length - 1;

describe("drainConnections: close cuts no request a client already sent", () => {
  let app: FastifyInstance | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it("serves a request still unread in the socket buffer, with Connection: close, then ends", async () => {
    const server = await pingServer();
    app = server.app;
    const client = await usedConnection(server.port);
    // Written and drained in one tick: the server has not read the request when the drain starts.
    client.socket.write(REQUEST);
    const summary = await drainConnections(app.server, { quietMs: 5_000, maxMs: 10_000 });
    await app.close();
    await client.ended;
    expect(answers(client.received())).toBe(2);
    expect(client.error()).toBeUndefined();
    expect(client.received().split("HTTP/1.1 200")[2]).toMatch(/connection: close/i);
    expect(summary).toMatchObject({ served: 1, ended: "no-connections" });
  });

  it("without it, close() cuts that request: why the drain exists", async () => {
    const server = await pingServer();
    app = server.app;
    const client = await usedConnection(server.port);
    client.socket.write(REQUEST);
    await app.close();
    await client.ended;
    expect(answers(client.received())).toBe(1);
    expect(client.error()).toBe("ECONNRESET");
  });

  it("ends when no request arrived for quietMs, or after maxMs, with an idle connection still open", async () => {
    const server = await pingServer();
    app = server.app;
    const client = await usedConnection(server.port);
    const quiet = await drainConnections(app.server, { quietMs: 60, maxMs: 10_000 });
    expect(quiet).toMatchObject({ served: 0, ended: "quiet" });
    const capped = await drainConnections(app.server, { quietMs: 10_000, maxMs: 60 });
    expect(capped).toMatchObject({ served: 0, ended: "max" });
    await app.close();
    await client.ended;
    expect(answers(client.received())).toBe(1);
  });

  it("ends at once when no connection is open, and leaves no listener behind", async () => {
    const server = await pingServer();
    app = server.app;
    const listeners = app.server.listenerCount("request");
    const summary = await drainConnections(app.server, { quietMs: 10_000, maxMs: 10_000 });
    expect(summary.ended).toBe("no-connections");
    expect(app.server.listenerCount("request")).toBe(listeners);
  });
});
