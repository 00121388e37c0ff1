import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGoogleTokenServer, makeServiceAccount } from "../../testing/google-token-server.ts";
import { RequestRejected } from "../shared/rejected.ts";
import { parseServiceAccount, TOKEN_REFRESH_MARGIN_MS, VertexTokenSource } from "./auth.ts";

/** The Vertex token source against a fake Google token endpoint that verifies the signed JWT. */
const account = makeServiceAccount();
const json = JSON.stringify(account.json);
const server = new FakeGoogleTokenServer().trust(account);
const dispatcher = new Agent();
const signal = new AbortController().signal;
beforeAll(() => server.start());
afterAll(async () => {
  await server.stop();
  await dispatcher.close();
});

function source(clock: { now: number }) {
  return new VertexTokenSource({ dispatcher, tokenUrl: server.url, now: () => clock.now });
}

describe("VertexTokenSource", () => {
  it("concurrent callers share one exchange; later callers get the cached token", async () => {
    const clock = { now: 1_000_000 };
    const tokens = source(clock);
    const before = server.issued;
    const got = await Promise.all(Array.from({ length: 20 }, () => tokens.token(json, signal)));
    expect(new Set(got).size).toBe(1);
    expect(server.issued - before).toBe(1);
    clock.now += 30 * 60_000;
    expect(await tokens.token(json, signal)).toBe(got[0]);
    expect(tokens.exchanges).toBe(1);
  });

  it("refreshes shortly before expiry, once, however many ask", async () => {
    const clock = { now: 5_000_000 };
    const tokens = source(clock);
    const first = await tokens.token(json, signal);
    clock.now += 3600_000 - TOKEN_REFRESH_MARGIN_MS + 1;
    const again = await Promise.all(Array.from({ length: 5 }, () => tokens.token(json, signal)));
    expect(new Set(again).size).toBe(1);
    expect(again[0]).not.toBe(first);
    expect(tokens.exchanges).toBe(2);
  });

  it("a refused exchange is a 401 RequestRejected naming Google's reason, and is not cached", async () => {
    const tokens = source({ now: 9_000_000 });
    server.failNext(400, "invalid_grant", "Invalid JWT Signature.");
    const error = await tokens.token(json, signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestRejected);
    expect(error).toMatchObject({ status: 401, param: "vertex_service_account_json" });
    expect((error as Error).message).toBe("Google token exchange failed (400, invalid_grant: Invalid JWT Signature.)");
    expect(await tokens.token(json, signal)).toMatch(/^ya29\.fake-\d+$/);
  });

  it("a key signed by an account the server does not know is refused (the signature is checked)", async () => {
    const stranger = makeServiceAccount();
    const tokens = source({ now: 1 });
    await expect(tokens.token(JSON.stringify(stranger.json), signal)).rejects.toMatchObject({ status: 401 });
  });

  it("parseServiceAccount names the broken field, never echoes the key", () => {
    expect(parseServiceAccount("{not json")).toEqual({
      ok: false,
      why: "vertex_service_account_json is not valid JSON",
    });
    const noEmail = parseServiceAccount(JSON.stringify({ ...account.json, client_email: undefined }));
    expect(noEmail).toMatchObject({ ok: false, why: expect.stringContaining("client_email") });
    const badKey = parseServiceAccount(JSON.stringify({ ...account.json, private_key: "secret-ish" }));
    expect(badKey.ok).toBe(false);
    expect(JSON.stringify(badKey)).not.toContain("secret-ish");
  });
});
