import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerConsoleRoute } from "./console-route.ts";

describe("console route", () => {
  let dist: string;
  let empty: string;

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), "switchyard-console-dist-"));
    empty = await mkdtemp(join(tmpdir(), "switchyard-console-empty-"));
    await mkdir(join(dist, "assets"));
    await writeFile(
      join(dist, "index.html"),
      '<!doctype html><script type="module" src="/console/assets/app-1a2b.js"></script>',
    );
    await writeFile(join(dist, "assets/app-1a2b.js"), "console.log('hi')");
  });
  afterAll(async () => {
    await rm(dist, { recursive: true, force: true });
    await rm(empty, { recursive: true, force: true });
  });

  async function app(distDir: string) {
    const instance = Fastify();
    registerConsoleRoute(instance, { distDir });
    await instance.ready();
    return instance;
  }

  it("serves the one page for every console path, with a strict CSP, and redirects / to it", async () => {
    const a = await app(dist);
    for (const url of ["/console/", "/console/log?user=alice", "/console/requests/0193"]) {
      const res = await a.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.body).toContain("/console/assets/app-1a2b.js");
    }
    for (const url of ["/", "/console"]) {
      const res = await a.inject(url);
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe("/console/");
    }
    await a.close();
  });

  it("tells the console where the gateway is (config.json) and lets the page connect to it, and only it", async () => {
    let gatewayUrl: string | undefined;
    const instance = Fastify();
    registerConsoleRoute(instance, { distDir: dist, gatewayUrl: () => gatewayUrl });
    await instance.ready();
    // Before the gateway listens: unknown, and the page connects to its own origin only.
    expect((await instance.inject("/console/config.json")).json()).toEqual({ gateway_url: null });
    expect((await instance.inject("/console/")).headers["content-security-policy"]).toContain("connect-src 'self';");
    gatewayUrl = "http://127.0.0.1:8787/";
    expect((await instance.inject("/console/config.json")).json()).toEqual({ gateway_url: "http://127.0.0.1:8787" });
    expect((await instance.inject("/console/log")).headers["content-security-policy"]).toContain(
      "connect-src 'self' http://127.0.0.1:8787;",
    );
    await instance.close();
  });

  it("serves hashed assets cached for good, and no file outside them", async () => {
    const a = await app(dist);
    const asset = await a.inject("/console/assets/app-1a2b.js");
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["content-type"]).toContain("javascript");
    expect(asset.headers["cache-control"]).toContain("immutable");
    expect((await a.inject("/console/assets/missing.js")).statusCode).toBe(404);
    expect((await a.inject("/console/assets/../index.html")).body).not.toContain("console.log");
    await a.close();
  });

  it("says how to build the console when the bundle is missing", async () => {
    const a = await app(empty);
    const res = await a.inject("/console/");
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain("npm run build -w @switchyard/console");
    await a.close();
  });
});
