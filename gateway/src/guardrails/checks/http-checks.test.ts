import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckInput, CheckServices } from "../types.ts";
import { prepareCheck } from "./registry.ts";

/**
 * webhook, log, validUrls and jwt against real local HTTP servers. The SSRF guard is the services'
 * checkUrl: here it refuses one host name, to show a refused URL never gets a request.
 */
const seen: Array<{ path: string; headers: IncomingMessage["headers"]; body: string }> = [];
let jwks: unknown = { keys: [] };

function handler(req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", () => {
    seen.push({ path: req.url ?? "", headers: req.headers, body });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (req.url === "/hook/pass")
      return json(200, {
        verdict: true,
        transformedData: { request: { json: { messages: [{ role: "user", content: "rewritten" }] } } },
      });
    if (req.url === "/hook/fail") return json(200, { verdict: false });
    if (req.url === "/hook/500") return json(500, { error: "down" });
    if (req.url === "/hook/slow") return; // never answers: the check's timeout ends it
    if (req.url === "/jwks") return json(200, jwks);
    if (req.url === "/missing") return json(404, {});
    json(200, {});
  });
}

let server: Server;
let base = "";
const services: CheckServices = {
  checkUrl: async (url) => {
    if (new URL(url).hostname === "forbidden.test")
      throw new Error("custom host forbidden.test points at a private address");
  },
  fetch: globalThis.fetch,
};

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

function input(text: string, more: Partial<CheckInput> = {}): CheckInput {
  return {
    stage: "before",
    texts: [text],
    text,
    requestJson: { model: "m", messages: [{ role: "user", content: text }] },
    responseJson: null,
    responseStatus: null,
    model: "m",
    provider: "openai",
    requestType: "chatComplete",
    isStreaming: false,
    metadata: { _user: "u1" },
    headers: { authorization: "Bearer sy-gateway-key" },
    signal: new AbortController().signal,
    ...more,
  };
}

const run = (id: string, parameters: Record<string, unknown>, i: CheckInput) =>
  prepareCheck(id, parameters, services)(i);

describe("webhook", () => {
  it("posts Portkey's payload (no client headers), takes the verdict and transformedData", async () => {
    seen.length = 0;
    const out = await run(
      "default.webhook",
      { webhookURL: `${base}/hook/pass`, headers: { "x-team": "a" } },
      input("hi"),
    );
    expect(out).toMatchObject({ verdict: true, requestJson: { messages: [{ content: "rewritten" }] } });
    const call = seen[0];
    expect(call?.headers["x-team"]).toBe("a");
    expect(call?.headers.authorization).toBeUndefined();
    expect(JSON.parse(call?.body ?? "{}")).toMatchObject({
      request: { json: { model: "m" }, text: "hi", isStreamingRequest: false },
      provider: "openai",
      requestType: "chatComplete",
      metadata: { _user: "u1" },
      eventType: "beforeRequestHook",
    });
    expect((await run("default.webhook", { webhookURL: `${base}/hook/fail` }, input("hi"))).verdict).toBe(false);
  });

  it("errors (so the runner fails open unless failOnError) on a 5xx, a timeout, or a URL the SSRF guard refuses", async () => {
    await expect(run("default.webhook", { webhookURL: `${base}/hook/500` }, input("hi"))).rejects.toThrow(/HTTP 500/);
    await expect(
      run("default.webhook", { webhookURL: `${base}/hook/slow`, timeout: 50 }, input("hi")),
    ).rejects.toThrow();
    seen.length = 0;
    await expect(run("default.webhook", { webhookURL: "http://forbidden.test/x" }, input("hi"))).rejects.toThrow(
      /private/,
    );
    expect(seen).toEqual([]);
  });
});

describe("log", () => {
  it("always passes, posting the request and answer", async () => {
    seen.length = 0;
    const out = await run(
      "default.log",
      { logURL: `${base}/log`, headers: '{"x-log":"1"}' },
      input("answer", { stage: "after" }),
    );
    expect(out.verdict).toBe(true);
    expect(seen[0]?.headers["x-log"]).toBe("1");
    expect(JSON.parse(seen[0]?.body ?? "{}").eventType).toBe("afterRequestHook");
  });
});

describe("validUrls", () => {
  it("passes when every URL answers, fails on a 404, a refused host, or no URL", async () => {
    const after = (text: string) => input(text, { stage: "after" });
    expect((await run("default.validUrls", {}, after(`see ${base}/ok and ${base}/also`))).verdict).toBe(true);
    expect((await run("default.validUrls", {}, after(`see ${base}/missing`))).verdict).toBe(false);
    expect((await run("default.validUrls", {}, after("see http://forbidden.test/x"))).verdict).toBe(false);
    expect((await run("default.validUrls", {}, after("no links"))).verdict).toBe(false);
    expect((await run("default.validUrls", { onlyDNS: true }, after("see http://localhost/x"))).verdict).toBe(true);
  });
});

describe("jwt", () => {
  it("verifies the header's token against the JWKS: valid, expired, wrong key, missing", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const other = await generateKeyPair("RS256");
    jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256" }] };
    const sign = (key: Parameters<SignJWT["sign"]>[0], exp: string) =>
      new SignJWT({ sub: "u1" })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(key);
    const check = prepareCheck("default.jwt", { jwksUri: `${base}/jwks`, headerKey: "x-user-token" }, services);
    const withToken = (token: string) => input("hi", { headers: { "x-user-token": `Bearer ${token}` } });
    expect((await check(withToken(await sign(privateKey, "5m")))).verdict).toBe(true);
    const expired = await check(withToken(await sign(privateKey, "-1h")));
    expect(expired).toMatchObject({ verdict: false, data: { reason: "ERR_JWT_EXPIRED" } });
    expect((await check(withToken(await sign(other.privateKey, "5m")))).verdict).toBe(false);
    expect((await check(input("hi"))).verdict).toBe(false);
  });
});
