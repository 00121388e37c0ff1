import { afterAll, describe, expect, it } from "vitest";
import { buildTestGateway } from "./test-support.ts";

const gw = buildTestGateway();
afterAll(() => gw.close());

describe("POST /v1/feedback", () => {
  it("records a feedback event for the caller's tenant", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/v1/feedback",
      payload: { trace_id: "trace-1", value: 5, metadata: { source: "thumbs", n: 2 } },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe("success");
    expect(gw.sink.feedback).toEqual([
      expect.objectContaining({
        event_id: body.feedback_ids[0],
        tenant_id: "default",
        trace_id: "trace-1",
        value: 5,
        weight: 1,
        metadata: { source: "thumbs", n: "2" },
      }),
    ]);
  });

  it("names the bad field", async () => {
    const res = await gw.app.inject({ method: "POST", url: "/v1/feedback", payload: { trace_id: "t", value: 11 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "invalid_request", param: "value" });
  });
});
