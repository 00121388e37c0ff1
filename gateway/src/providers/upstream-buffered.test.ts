import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../errors.ts";
import { postUpstreamBuffered } from "./upstream-buffered.ts";

/** A local upstream whose path picks the behaviour: a JSON answer, a chunked one, a cut body, or silence. */
let server: Server;
let base = "";
const dispatcher = new Agent({ headersTimeout: 300, bodyTimeout: 300 });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      if (req.url === "/json") {
        res.writeHead(201, { "content-type": "application/json", "x-ratelimit-remaining": "9" });
        res.end(JSON.stringify({ echo: body, method: req.method }));
      } else if (req.url === "/chunked") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"a":');
        setTimeout(() => res.end("1}"), 5);
      } else if (req.url === "/cut") {
        res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        res.write('{"a":');
        setTimeout(() => res.socket?.destroy(), 5);
      }
      // "/silent": never answers (the headers timeout ends it).
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await dispatcher.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const call = (path: string, signal = new AbortController().signal) =>
  postUpstreamBuffered({
    dispatcher,
    url: `${base}${path}`,
    headers: { "content-type": "application/json" },
    body: '{"q":1}',
    signal,
  });

describe("postUpstreamBuffered (the JSON path's upstream call)", () => {
  it("answers status, undici's parsed headers and the whole body", async () => {
    const response = await call("/json");
    expect(response.statusCode).toBe(201);
    expect(response.headers["x-ratelimit-remaining"]).toBe("9");
    expect(JSON.parse(response.body.toString("utf8"))).toEqual({ echo: '{"q":1}', method: "POST" });
    const chunked = await call("/chunked");
    expect(chunked.body.toString("utf8")).toBe('{"a":1}');
  });

  it("fails like postUpstream before the headers: a gateway error naming the host, an abort as is", async () => {
    const silent = await call("/silent").catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(GatewayError);
    expect((silent as GatewayError).code).toBe("upstream_timeout");
    expect((silent as Error).message).toContain("127.0.0.1");

    const unreachable = await postUpstreamBuffered({
      dispatcher,
      url: "http://127.0.0.1:1/x",
      headers: {},
      body: null,
      signal: new AbortController().signal,
    }).catch((e: unknown) => e);
    expect((unreachable as GatewayError).code).toBe("upstream_unreachable");

    const abort = new AbortController();
    const reason = new Error("client left");
    const pending = call("/silent", abort.signal).catch((e: unknown) => e);
    abort.abort(reason);
    expect(await pending).toBe(reason);
    const early = new AbortController();
    early.abort(reason);
    expect(await call("/json", early.signal).catch((e: unknown) => e)).toBe(reason);
  });

  it("a body cut after the headers is undici's own error, as reading request()'s body would throw it", async () => {
    const error = await call("/cut").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(GatewayError);
  });
});
