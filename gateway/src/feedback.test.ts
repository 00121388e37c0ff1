import { sha256Hex } from "@switchyard/platform";
import { afterAll, describe, expect, it } from "vitest";
import { newFeedbackId, traceOfFeedbackId } from "./routes/feedback.ts";
import { buildTestGateway } from "./test-support.ts";

const key = (id: string, tenant: string, scopes?: string[]) => ({
  id,
  tenant_id: tenant,
  key_sha256: sha256Hex(`sy-${id}`),
  role: "tenant" as const,
  revoked: false,
  ...(scopes ? { scopes: scopes as never } : {}),
});
const gw = buildTestGateway({
  keys: [key("acme", "acme"), key("globex", "globex"), key("reader", "acme", ["prompts.read", "completions"])],
});
afterAll(() => gw.close());

const post = (payload: unknown, apiKey = "sy-acme") =>
  gw.app.inject({
    method: "POST",
    url: "/v1/feedback",
    headers: { "x-portkey-api-key": apiKey },
    payload: payload as object,
  });

describe("POST /v1/feedback", () => {
  it("records a feedback event for the caller's tenant", async () => {
    const before = gw.sink.feedback.length;
    const res = await post({ trace_id: "trace-1", value: 5, metadata: { source: "thumbs", n: 2 } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: "success", feedback_ids: [expect.any(String)] });
    expect(gw.sink.feedback.slice(before)).toEqual([
      expect.objectContaining({
        feedback_id: body.feedback_ids[0],
        tenant_id: "acme",
        trace_id: "trace-1",
        value: 5,
        weight: 1,
        metadata: { source: "thumbs", n: "2" },
      }),
    ]);
    expect(traceOfFeedbackId(body.feedback_ids[0])).toBe("trace-1");
  });

  it("takes an array (elements as the SDK sends them, with traceID) and answers one id per item", async () => {
    const before = gw.sink.feedback.length;
    const res = await post([
      { traceID: "trace-a", value: -3, weight: 0.5 },
      { trace_id: "trace-b", value: 10, metadata: { _user: "u1" } },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json().feedback_ids).toHaveLength(2);
    expect(gw.sink.feedback.slice(before).map((f) => [f.trace_id, f.value, f.weight])).toEqual([
      ["trace-a", -3, 0.5],
      ["trace-b", 10, 1],
    ]);
  });

  it("names the bad field, and refuses a whole batch when one item is bad", async () => {
    const before = gw.sink.feedback.length;
    const res = await post({ trace_id: "t", value: 11 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "invalid_request", param: "value" });
    const weight = await post({ trace_id: "t", value: 1, weight: 1.5 });
    expect(weight.json().error.param).toBe("weight");
    const batch = await post([{ trace_id: "t", value: 1 }, { value: 2 }]);
    expect(batch.statusCode).toBe(400);
    expect(batch.json().error.param).toBe("1.trace_id");
    const notInteger = await post({ trace_id: "t", value: 2.5 });
    expect(notInteger.json().error.param).toBe("value");
    expect(gw.sink.feedback.length).toBe(before);
  });

  it("needs the feedback.write scope", async () => {
    const res = await post({ trace_id: "t", value: 1 }, "sy-reader");
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: "insufficient_scope", type: "permission_error" });
  });
});

describe("PUT /v1/feedback/{id}", () => {
  it("writes a new revision with the same feedback id and trace, in the caller's tenant", async () => {
    const created = (await post({ trace_id: "trace-up", value: 1 })).json().feedback_ids[0] as string;
    const before = gw.sink.feedback.length;
    const res = await gw.app.inject({
      method: "PUT",
      url: `/v1/feedback/${created}`,
      headers: { "x-portkey-api-key": "sy-acme" },
      payload: { feedback_id: created, value: -2, weight: 0.25, metadata: { edited: true } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "success", feedback_ids: [created] });
    expect(gw.sink.feedback.slice(before)).toEqual([
      expect.objectContaining({
        feedback_id: created,
        trace_id: "trace-up",
        tenant_id: "acme",
        value: -2,
        weight: 0.25,
      }),
    ]);
  });

  it("an id this gateway never issued is a 404; a bad value a 400", async () => {
    const put = (id: string, payload: object) =>
      gw.app.inject({ method: "PUT", url: `/v1/feedback/${id}`, headers: { "x-portkey-api-key": "sy-acme" }, payload });
    const unknown = await put("not-a-feedback-id", { value: 1 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe("feedback_not_found");
    const bad = await put(newFeedbackId("t"), { value: -11 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("value");
  });
});

describe("POST /v1/feedback from the portkey-ai SDK", () => {
  it("reads an array the SDK turned into an object with index keys", async () => {
    const before = gw.sink.feedback.length;
    const res = await post({ "0": { traceID: "t-0", value: 2 }, "1": { traceID: "t-1", value: 3 } });
    expect(res.statusCode).toBe(200);
    expect(gw.sink.feedback.slice(before).map((f) => f.trace_id)).toEqual(["t-0", "t-1"]);
  });
});
