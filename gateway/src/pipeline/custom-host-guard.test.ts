import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.ts";
import { createCustomHostGuard, isForbiddenAddress } from "./custom-host-guard.ts";

const strict = { allowLoopback: false, allowList: [] };

describe("custom host SSRF guard", () => {
  it.each([
    ["169.254.169.254", true],
    ["10.1.2.3", true],
    ["172.20.0.1", true],
    ["192.168.1.1", true],
    ["127.0.0.1", true],
    ["0.0.0.0", true],
    ["::1", true],
    ["fe80::1", true],
    ["fd00:ec2::254", true],
    ["::ffff:169.254.169.254", true],
    ["8.8.8.8", false],
    ["2606:4700::1111", false],
  ])("%s forbidden: %s", (ip, forbidden) => {
    expect(isForbiddenAddress(ip, strict)).toBe(forbidden);
  });

  it("allows loopback in local-dev mode but never the metadata address", () => {
    const dev = { allowLoopback: true, allowList: [] };
    expect(isForbiddenAddress("127.0.0.1", dev)).toBe(false);
    expect(isForbiddenAddress("169.254.169.254", dev)).toBe(true);
  });

  it("refuses a name that resolves to a private address, naming the host", async () => {
    const guard = createCustomHostGuard(strict, async () => ["10.0.0.5"]);
    const error = await guard.check("http://internal.example/v1", "x-portkey-custom-host").catch((e) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: "forbidden_custom_host", status: 400, param: "x-portkey-custom-host" });
    expect(error.message).toContain("internal.example");
  });

  it("allows public names and allow-listed hosts and networks", async () => {
    const guard = createCustomHostGuard(
      { allowLoopback: false, allowList: ["vllm.internal", "*.corp.example", "10.9.0.0/16"] },
      async (h) => (h === "api.example.com" ? ["93.184.215.14"] : ["10.0.0.1"]),
    );
    await guard.check("https://api.example.com/v1", "p");
    await guard.check("http://vllm.internal:8000/v1", "p");
    await guard.check("http://llm.corp.example/v1", "p");
    await guard.check("http://10.9.3.4:8000/v1", "p");
    await expect(guard.check("http://10.8.3.4:8000/v1", "p")).rejects.toMatchObject({ code: "forbidden_custom_host" });
  });
});

describe("custom host guard and the local-dev mode", () => {
  it("applies the current mode to a cached host: loopback is refused as soon as local-dev ends", async () => {
    let open = true;
    const guard = createCustomHostGuard({
      get allowLoopback() {
        return open;
      },
      allowList: [],
    });
    await guard.check("http://127.0.0.1:9000/v1", "p");
    open = false;
    await expect(guard.check("http://127.0.0.1:9000/v1", "p")).rejects.toMatchObject({ code: "forbidden_custom_host" });
  });
});
