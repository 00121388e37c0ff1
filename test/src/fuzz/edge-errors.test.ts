import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CHAT_BODY,
  deeplyNested,
  expectOurError,
  httpRequest,
  MOCK_HEADERS,
  rawRequest,
  type ServiceName,
  type Services,
  startServices,
} from "./support.ts";

/**
 * Each "error body not in our shape" finding of issue 10, on both services over real sockets (the
 * failures that never reach fastify's error handler only show up there): every answer is
 * `{"error": {message, type, param, code}}` with the right status.
 */
describe("the HTTP edge answers every failure in our error shape", () => {
  let services: Services;
  beforeAll(async () => {
    services = await startServices();
  });
  afterAll(async () => {
    await services?.stop();
  });

  const both: ServiceName[] = ["gateway", "analytics"];
  const send = (service: ServiceName, request: string) => rawRequest(services[service].port, request);

  describe.each(both)("%s", (service) => {
    it("a broken body after the answer was sent closes the connection instead of answering twice", async () => {
      // No content type: the request is refused before its (broken, chunked) body is read.
      const answeredFirst = "POST /v1/nope HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n";
      const response = await send(service, answeredFirst);
      expectOurError(response, 404, "not_found");
      expect(response.trailing).toBe("");
    });

    it("Expect: junk → 417 expectation_failed naming the header (was an empty body)", async () => {
      const response = await send(
        service,
        httpRequest("POST", "/v1/chat/completions", { ...MOCK_HEADERS, expect: "junk" }, CHAT_BODY),
      );
      expectOurError(response, 417, "expectation_failed", "expect");
    });

    it("GET /%zz → 400 invalid_url (was fastify's FST_ERR_BAD_URL body)", async () => {
      expectOurError(await send(service, httpRequest("GET", "/%zz")), 400, "invalid_url");
      expectOurError(await send(service, httpRequest("GET", "/v1/traces/%E0%A4%A")), 400, "invalid_url");
    });

    it("a request the HTTP parser rejects → 400 malformed_request (analytics was fastify's 'Client Error')", async () => {
      const badHeader = "GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n";
      expectOurError(await send(service, badHeader), 400, "malformed_request");
      const badChunk =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
      expectOurError(await send(service, badChunk), 400, "malformed_request");
    });

    it("headers larger than Node accepts → 431 headers_too_large", async () => {
      const response = await send(service, httpRequest("GET", "/health", { "x-big": "a".repeat(20_000) }));
      expectOurError(response, 431, "headers_too_large");
    });

    it("CONNECT → 405 method_not_allowed (was a silently closed connection)", async () => {
      const response = await send(service, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
      expectOurError(response, 405, "method_not_allowed");
    });

    it("an unknown route → 404 not_found", async () => {
      expectOurError(await send(service, httpRequest("GET", "/v1/nope")), 404, "not_found");
      // Its body is not parsed first: the route miss is what is wrong.
      expectOurError(await send(service, httpRequest("POST", "/v1/nope", MOCK_HEADERS, "{nope")), 404, "not_found");
    });
  });

  it("over-long path parameters → 414 uri_too_long on analytics (was FST_ERR_MAX_PARAM_LENGTH); up to 1024 characters the route names traceId", async () => {
    const tooLong = await send("analytics", httpRequest("GET", `/v1/traces/${"t".repeat(1100)}`));
    expectOurError(tooLong, 414, "uri_too_long");
    const longish = await send("analytics", httpRequest("GET", `/v1/traces/${"t".repeat(300)}`));
    expectOurError(longish, 400, "invalid_parameter", "traceId");
  });

  it("a known path with the wrong method → 405 method_not_allowed with Allow, on both services", async () => {
    const gateway = await send("gateway", httpRequest("DELETE", "/v1/chat/completions"));
    expectOurError(gateway, 405, "method_not_allowed");
    expect(gateway.headers.allow).toBe("POST");
    const analytics = await send("analytics", httpRequest("POST", "/v1/analytics/costs", MOCK_HEADERS, "{}"));
    expectOurError(analytics, 405, "method_not_allowed");
    expect(analytics.headers.allow).toBe("GET, HEAD");
  });

  it("gateway: 415 for a non-JSON body, 413 for a body over the limit, 400 invalid_json for malformed JSON", async () => {
    const xml = await send(
      "gateway",
      httpRequest("POST", "/v1/chat/completions", { "content-type": "text/xml" }, "<a/>"),
    );
    expectOurError(xml, 415, "unsupported_media_type", "content-type");
    const huge = JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(100_000) }] });
    expectOurError(
      await send("gateway", httpRequest("POST", "/v1/chat/completions", MOCK_HEADERS, huge)),
      413,
      "body_too_large",
    );
    const broken = await send("gateway", httpRequest("POST", "/v1/chat/completions", MOCK_HEADERS, '{"model":'));
    expectOurError(broken, 400, "invalid_json");
    const empty = await send("gateway", httpRequest("POST", "/v1/chat/completions", MOCK_HEADERS, ""));
    expectOurError(empty, 400, "invalid_json");
  });

  it("gateway: 10,000 nested levels in a tool's JSON schema → 400 body_too_deep naming the body (was a 500/502)", async () => {
    const body = `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deeplyNested(10_000)}}}]}`;
    const response = await send("gateway", httpRequest("POST", "/v1/chat/completions", MOCK_HEADERS, body));
    expectOurError(response, 400, "body_too_deep", "body");
    expect(JSON.parse(response.body).error.message).toContain("128");
  });

  it("gateway: a body at the depth bound is still served", async () => {
    // 128 levels in all: the body object, tools[], the tool and function (4), then 124 in parameters.
    const body = `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deeplyNested(124)}}}]}`;
    const response = await send("gateway", httpRequest("POST", "/v1/chat/completions", MOCK_HEADERS, body));
    expect(response.status, response.body).not.toBe(500);
    expect(JSON.parse(response.body).error?.code).not.toBe("body_too_deep");
    // Served in full: the mock provider answered the request the gateway parsed and routed.
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ object: "chat.completion" });
  });

  it("analytics: malformed JSON to a route, or a body no route takes, is never a 5xx", async () => {
    const deep = await send(
      "analytics",
      httpRequest("POST", "/v1/analytics/costs", MOCK_HEADERS, deeplyNested(10_000)),
    );
    expectOurError(deep, 405, "method_not_allowed");
    const getWithJunk = await send("analytics", httpRequest("GET", "/health", MOCK_HEADERS, "{nope"));
    expect(getWithJunk.status).toBeLessThan(500);
  });
});
