import { once } from "node:events";
import { type AddressInfo, connect } from "node:net";
import Fastify, { type FastifyInstance, type InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogueError } from "./catalogue-error.ts";
import { edgeServerOptions, installEdgeErrorHandling, registerJsonBodyParser } from "./fastify-edge.ts";

const ServiceErrors = { teapot: { status: 418, type: "invalid_request_error" } } as const;

/** A bare service on the shared edge: one own error, and routes that fail in the ways routes do. */
function buildService(): FastifyInstance {
  const app = Fastify({ ...edgeServerOptions() });
  app.removeContentTypeParser("text/plain");
  registerJsonBodyParser(app);
  installEdgeErrorHandling(app, {
    service: "test",
    classify: (error) => (error instanceof CatalogueError ? error : undefined),
  });
  app.get("/own", async () => {
    throw new CatalogueError(ServiceErrors, "teapot", "short and stout", "spout");
  });
  app.get("/boom", async () => {
    throw new TypeError("cannot read properties of undefined");
  });
  // An error that merely carries a 5xx status (e.g. from an HTTP client) is still ours, not an upstream's.
  app.get("/boom-502", async () => {
    throw Object.assign(new Error("socket hang up"), { statusCode: 502 });
  });
  app.post("/echo", async (request) => ({ got: request.body }));
  return app;
}

describe("the shared HTTP edge", () => {
  let app: FastifyInstance;
  beforeAll(() => {
    app = buildService();
  });
  afterAll(async () => {
    await app?.close();
  });

  const call = async (options: InjectOptions) => {
    const response = await app.inject(options);
    return { status: response.statusCode, headers: response.headers, body: response.json() };
  };

  it("renders the service's own errors from its catalogue", async () => {
    const { status, body } = await call({ method: "GET", url: "/own" });
    expect(status).toBe(418);
    expect(body).toEqual({
      error: { message: "short and stout", type: "invalid_request_error", param: "spout", code: "teapot" },
    });
  });

  it.each(["/boom", "/boom-502"])(
    "an unexpected failure in %s is a 500 internal_error, details kept out",
    async (url) => {
      const { status, body } = await call({ method: "GET", url });
      expect(status).toBe(500);
      expect(body).toEqual({
        error: { message: "internal test error", type: "api_error", param: null, code: "internal_error" },
      });
    },
  );

  it("404 for an unknown path, 405 with Allow for a known one", async () => {
    expect((await call({ method: "GET", url: "/nope" })).body.error.code).toBe("not_found");
    const wrongMethod = await call({ method: "DELETE", url: "/echo" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe("POST");
    expect(wrongMethod.body.error.code).toBe("method_not_allowed");
  });

  it("JSON bodies: parsed as before, too deep → body_too_deep, broken / empty / poisoned → invalid_json", async () => {
    const json = { "content-type": "application/json" };
    const ok = await call({ method: "POST", url: "/echo", headers: json, payload: '{"a":[1,{"b":"[[[["}]}' });
    expect(ok.body).toEqual({ got: { a: [1, { b: "[[[[" }] } });
    const deep = await call({
      method: "POST",
      url: "/echo",
      headers: json,
      payload: `${"[".repeat(129)}${"]".repeat(129)}`,
    });
    expect(deep.status).toBe(400);
    expect(deep.body.error).toMatchObject({ code: "body_too_deep", param: "body" });
    for (const payload of ["{nope", "", '{"__proto__":{"admin":true}}']) {
      const bad = await call({ method: "POST", url: "/echo", headers: json, payload });
      expect(bad.status, payload).toBe(400);
      expect(bad.body.error.code, payload).toBe("invalid_json");
    }
  });

  it("a non-JSON body → 415 naming content-type", async () => {
    const { status, body } = await call({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "text/plain" },
      payload: "x",
    });
    expect(status).toBe(415);
    expect(body.error).toMatchObject({ code: "unsupported_media_type", param: "content-type" });
  });
});

describe("closing", () => {
  it("a request arriving on a kept-alive connection after close() began gets a 503 shutting_down in our shape", async () => {
    const app = buildService();
    let release!: () => void;
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    app.get("/slow", async () => {
      started();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { ok: true };
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    // What the server side has read, so the test knows when the second request is in.
    let serverRead = "";
    app.server.on("connection", (serverSide) => {
      serverSide.on("data", (chunk: Buffer) => {
        serverRead += String(chunk);
      });
    });
    const socket = connect((app.server.address() as AddressInfo).port, "127.0.0.1");
    socket.on("error", () => {});
    await once(socket, "connect");
    let received = "";
    socket.on("data", (chunk) => {
      received += String(chunk);
    });
    socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    await handlerStarted;
    const closed = app.close();
    socket.write("GET /own HTTP/1.1\r\nHost: x\r\n\r\n");
    const deadline = Date.now() + 5_000;
    const until = async (done: () => boolean) => {
      while (!done() && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    };
    // The second request waits behind the first (pipelined); once it is in, the first may finish.
    await until(() => serverRead.includes("/own"));
    release();
    await until(() => received.includes("shutting_down"));
    socket.destroy();
    await closed;
    expect(received).toContain('{"ok":true}');
    expect(received).toMatch(/HTTP\/1\.1 503 /);
    const body = received.slice(received.lastIndexOf("\r\n\r\n") + 4);
    expect(JSON.parse(body)).toEqual({
      error: {
        message: "the test is shutting down; retry on another instance",
        type: "api_error",
        param: null,
        code: "shutting_down",
      },
    });
  });
});
