import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NO_FINISH_REASONS, type StreamChunk } from "../providers/provider.ts";
import type { ChatCompletionRequest } from "../schemas/chat.ts";
import { buildTestGateway } from "../test-support.ts";
import { parsed } from "./context.ts";
import { insertBefore } from "./pipeline.ts";
import { type Reply, transformStream } from "./reply.ts";
import type { AttemptStage, RequestStage } from "./stage.ts";

/**
 * A throw-away stage, written in this one file and plugged in through the app's pipeline option,
 * shows the seams the cache, guardrails, limits and prompts stages use: answer early, rewrite the
 * request body, see every streamed chunk and the stream's end — on the JSON and the SSE path.
 */
const seen = { chunks: [] as string[], ends: 0, attempts: [] as string[] };

const CANNED = "canned answer from a stage";

function cannedReply(stream: boolean): Reply {
  if (!stream) {
    const body = { id: "chatcmpl-canned", object: "chat.completion", model: "canned", choices: [] };
    return {
      kind: "json",
      result: {
        status: 200,
        headers: {},
        body: Buffer.from(
          JSON.stringify({
            ...body,
            choices: [{ index: 0, message: { role: "assistant", content: CANNED }, finish_reason: "stop" }],
          }),
        ),
        usage: null,
        model: "canned",
        failure: null,
        responseId: "chatcmpl-canned",
        finishReasons: ["stop"],
      },
    };
  }
  const chunk: StreamChunk = {
    data: JSON.stringify({
      id: "chatcmpl-canned",
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta: { content: CANNED } }],
    }),
    id: "chatcmpl-canned",
    usage: null,
    model: "canned",
    finishReasons: NO_FINISH_REASONS,
    usageOnly: false,
  };
  async function* chunks() {
    yield chunk;
  }
  return { kind: "stream", status: 200, headers: {}, chunks: chunks() };
}

const throwAway: RequestStage = {
  name: "throw-away",
  async run(raw, next) {
    const ctx = parsed(raw);
    const req = ctx.request as ChatCompletionRequest;
    if (ctx.metadata.mode === "early") return cannedReply(req.stream === true);
    if (ctx.metadata.mode === "rewrite") {
      ctx.request = { ...req, messages: [{ role: "user", content: "rewritten by a stage" }] };
    }
    const reply = await next();
    if (reply.kind !== "stream") return reply;
    return transformStream(reply, {
      chunk(chunk) {
        seen.chunks.push(chunk.data);
        return chunk;
      },
      end() {
        seen.ends += 1;
      },
    });
  },
};

const attemptSpy: AttemptStage = {
  name: "attempt-spy",
  run(attempt, next) {
    seen.attempts.push(`${attempt.prepared.providerId}:${attempt.model}`);
    return next();
  },
};

const gw = buildTestGateway({
  pipeline: {
    request: (stages) => insertBefore(stages, "route", throwAway),
    attempt: (stages) => [...stages, attemptSpy],
  },
});
// A listening server, not inject(): the event's status depends on the response really finishing.
let base = "";
beforeAll(async () => {
  base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.sink.events.length = 0;
  seen.chunks.length = 0;
  seen.ends = 0;
  seen.attempts.length = 0;
});

async function post(mode: string, stream: boolean) {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-portkey-provider": "mock",
      "x-portkey-metadata": JSON.stringify({ mode }),
    },
    // include_usage: the client gets every chunk the stage sees (a usage-only chunk is otherwise hidden from it).
    body: JSON.stringify({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "original prompt" }],
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    }),
  });
  const body = await res.text();
  return { statusCode: res.status, headers: Object.fromEntries(res.headers), body, json: () => JSON.parse(body) };
}

const sseData = (body: string) =>
  body
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: ") && frame !== "data: [DONE]")
    .map((frame) => frame.slice("data: ".length));

describe("a stage added in one file", () => {
  it("answers a JSON request early: no upstream attempt, still exactly one event", async () => {
    const res = await post("early", false);
    expect(res.statusCode).toBe(200);
    expect(res.json().choices[0].message.content).toBe(CANNED);
    expect(res.headers["x-portkey-trace-id"]).toBeTruthy();
    const [event] = await gw.sink.waitFor(1);
    expect(gw.sink.events).toHaveLength(1);
    expect(event).toMatchObject({ status_code: 200, model_used: "canned", attempts: [] });
    expect(seen.attempts).toEqual([]);
  });

  it("answers an SSE request early", async () => {
    const res = await post("early", true);
    expect(res.headers["content-type"]).toContain("text/event-stream");
    expect(sseData(res.body).map((d) => JSON.parse(d).choices[0].delta.content)).toEqual([CANNED]);
    expect(res.body.endsWith("data: [DONE]\n\n")).toBe(true);
    const [event] = await gw.sink.waitFor(1);
    expect(event).toMatchObject({ status_code: 200, stream: true, attempts: [] });
  });

  it("rewrites the request body before the provider sees it (JSON)", async () => {
    const res = await post("rewrite", false);
    const content = res.json().choices[0].message.content as string;
    expect(content).toContain("rewritten by a stage");
    expect(content).not.toContain("original prompt");
    expect(seen.attempts).toEqual(["mock:gpt-4o-mini"]);
    await gw.sink.waitFor(1);
  });

  it("rewrites the request body and sees every streamed chunk and the end (SSE)", async () => {
    const res = await post("rewrite", true);
    const relayed = sseData(res.body);
    expect(relayed.length).toBeGreaterThan(1);
    expect(seen.chunks).toEqual(relayed);
    expect(seen.ends).toBe(1);
    const text = relayed.map((d) => JSON.parse(d).choices[0]?.delta?.content ?? "").join("");
    expect(text).toContain("rewritten by a stage");
    const [event] = await gw.sink.waitFor(1);
    expect(event).toMatchObject({ status_code: 200, stream: true });
  });

  it("sees every chunk of an unchanged stream", async () => {
    const res = await post("observe", true);
    expect(seen.chunks).toEqual(sseData(res.body));
    expect(seen.ends).toBe(1);
  });
});

describe("a stage that throws unexpectedly", () => {
  const failing: RequestStage = {
    name: "failing",
    run() {
      throw new TypeError("a bug in a stage");
    },
  };
  const broken = buildTestGateway({ pipeline: { request: (stages) => insertBefore(stages, "route", failing) } });
  afterAll(() => broken.close());

  it("is one 500 internal_error in the OpenAI shape, one event, and the app keeps serving", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await broken.app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        headers: { "content-type": "application/json", "x-portkey-provider": "mock" },
        payload: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
      });
      expect(res.statusCode).toBe(500);
      expect(res.json().error).toMatchObject({ type: "api_error", code: "internal_error" });
    }
    const events = await broken.sink.waitFor(2);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ status_code: 500, error_type: "internal_error" });
  });
});

describe("a fault inside an attempt", () => {
  const faulty: AttemptStage = {
    name: "faulty",
    run() {
      throw new TypeError("a bug building the upstream request");
    },
  };
  const broken = buildTestGateway({ pipeline: { attempt: (stages) => [...stages, faulty] } });
  afterAll(() => broken.close());

  it("is a 500 internal_error, not a 502 'could not reach', and one event without a retry", async () => {
    const res = await broken.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: {
        "content-type": "application/json",
        "x-portkey-config": JSON.stringify({ provider: "mock", retry: { attempts: 3 } }),
      },
      payload: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toMatchObject({ type: "api_error", code: "internal_error" });
    const [event] = await broken.sink.waitFor(1);
    expect(event).toMatchObject({ status_code: 500, error_type: "internal_error" });
  });
});
