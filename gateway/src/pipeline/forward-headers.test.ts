import { describe, expect, it } from "vitest";
import { forwardHeaderNames, pickForwardHeaders } from "./forward-headers.ts";

describe("forward headers", () => {
  const headers = {
    "x-portkey-forward-headers": "X-Org-Id, x-request-source,authorization,x-portkey-api-key, x-missing",
    "x-org-id": "org-7",
    "x-request-source": "batch",
    authorization: "Bearer sy-gateway-key",
    "x-portkey-api-key": "sy-gateway-key",
    "x-other": "not named",
  };
  it("forwards only what is named, never credentials or portkey headers", () => {
    expect(pickForwardHeaders(headers, forwardHeaderNames(headers))).toEqual({
      "x-org-id": "org-7",
      "x-request-source": "batch",
    });
  });
  it("forwards nothing when nothing is named", () => {
    expect(pickForwardHeaders(headers, forwardHeaderNames({}))).toEqual({});
  });
});
