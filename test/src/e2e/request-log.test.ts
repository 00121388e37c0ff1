import { rm } from "node:fs/promises";
import type { RunningStack } from "@switchyard/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import { chatBody, getJson, pollUntil, startTestStack, tempDir } from "./support.ts";

interface LogRow {
  event_id: string;
  trace_id: string;
  metadata: Record<string, string>;
}

/**
 * The request log through the whole embedded stack: the gateway captures the prompt it sent upstream and the
 * streamed answer, ingest stores them, and the analytics API finds the request, shows it in full, breaks it
 * down by a metadata key and exports it.
 */
describe("request log end to end (embedded stack)", () => {
  const upstream = new FakeOpenAIUpstream();
  let stack: RunningStack;
  let dataDir: string;
  let gateway: string;
  let analytics: string;

  beforeAll(async () => {
    await upstream.start();
    dataDir = await tempDir("e2e-request-log");
    stack = await startTestStack({ DATA_DIR: dataDir, INGEST_FLUSH_INTERVAL_MS: "50" });
    gateway = stack.gateway!.url;
    analytics = stack.analytics!.url;
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const send = (traceId: string, extraHeaders: Record<string, string> = {}) =>
    fetch(`${gateway}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer sk-upstream-key",
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": upstream.baseUrl,
        "x-portkey-trace-id": traceId,
        "x-portkey-metadata": JSON.stringify({ team: "search", _user: "alice" }),
        ...extraHeaders,
      },
      body: chatBody("what is in the log?", { stream: true }),
    });

  it("stores the prompt and the assembled streamed answer, and finds, details, breaks down and exports it", async () => {
    const streamed = await send("e2e-log-captured");
    expect(streamed.status).toBe(200);
    await streamed.text();
    const quiet = await send("e2e-log-quiet", { "x-portkey-debug": "false" });
    await quiet.text();

    const page = await pollUntil(async () => {
      const { body } = await getJson<{ data: LogRow[] }>(`${analytics}/v1/requests?metadata.team=search`);
      return body.data?.length === 2 ? body.data : undefined;
    }, "both requests in the log");
    const captured = page.find((r) => r.trace_id === "e2e-log-captured")!;
    const notCaptured = page.find((r) => r.trace_id === "e2e-log-quiet")!;

    const { status, body: detail } = await getJson<{
      bodies: { request: string; response: string; truncated: boolean } | null;
      attempts: unknown[];
    }>(`${analytics}/v1/requests/${captured.event_id}`);
    expect(status).toBe(200);
    expect(detail.attempts).toHaveLength(1);
    expect(JSON.parse(detail.bodies!.request)).toMatchObject({
      messages: [{ role: "user", content: "what is in the log?" }],
      stream: true,
    });
    const answer = JSON.parse(detail.bodies!.response);
    expect(answer).toMatchObject({ object: "chat.completion", assembled_from_stream: true });
    expect(answer.choices[0].message.content).toBe("Hello from the fake upstream.");
    expect(
      (await getJson<{ bodies: unknown }>(`${analytics}/v1/requests/${notCaptured.event_id}`)).body.bodies,
    ).toBeNull();

    const { body: breakdown } = await getJson<{ data: Array<Record<string, unknown>> }>(
      `${analytics}/v1/analytics/breakdown?group_by=metadata.team&metrics=requests,errors`,
    );
    expect(breakdown.data).toEqual([{ key: "search", requests: 2, errors: 0 }]);

    const exported = await fetch(`${analytics}/v1/requests/export?format=jsonl&metadata.team=search`);
    const lines = (await exported.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as LogRow);
    expect(lines.map((l) => l.event_id).sort()).toEqual([captured.event_id, notCaptured.event_id].sort());
  });
});
