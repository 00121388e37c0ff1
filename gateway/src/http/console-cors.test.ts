import { afterAll, describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";

const CONSOLE = "http://127.0.0.1:8788";

describe("console CORS", () => {
  const withConsole = buildTestGateway({ consoleOrigin: CONSOLE });
  const without = buildTestGateway();
  afterAll(async () => {
    await withConsole.close();
    await without.close();
  });

  it("answers the console origin's preflight for the prompt API, with the key header allowed", async () => {
    const res = await withConsole.app.inject({
      method: "OPTIONS",
      url: "/v1/prompts/p1",
      headers: {
        origin: CONSOLE,
        "access-control-request-method": "PUT",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe(CONSOLE);
    expect(res.headers["access-control-allow-methods"]).toContain("PUT");
    expect(String(res.headers["access-control-allow-headers"])).toContain("authorization");
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
  });

  it("allows no other origin, and no origin at all when none is configured", async () => {
    const other = await withConsole.app.inject({ url: "/v1/models", headers: { origin: "http://evil.example" } });
    expect(other.headers["access-control-allow-origin"]).not.toBe("http://evil.example");
    const same = await withConsole.app.inject({ url: "/v1/models", headers: { origin: CONSOLE } });
    expect(same.headers["access-control-allow-origin"]).toBe(CONSOLE);
    expect(String(same.headers["access-control-expose-headers"])).toContain("x-portkey-trace-id");
    const off = await without.app.inject({ url: "/v1/models", headers: { origin: CONSOLE } });
    expect(off.headers["access-control-allow-origin"]).toBeUndefined();
  });
});
