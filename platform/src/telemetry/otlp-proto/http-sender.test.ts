import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { otlpHttpSender } from "./http-sender.ts";

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

const servers: { close: () => void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A real HTTP endpoint answering each POST with `answers[i]` (the last one repeats). */
async function endpoint(answers: { status: number; headers?: Record<string, string> }[]) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
      const answer = answers[Math.min(received.length - 1, answers.length - 1)]!;
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({ close: () => server.close() });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, received };
}

describe("otlpHttpSender", () => {
  it("POSTs the protobuf body with the configured headers", async () => {
    const { url, received } = await endpoint([{ status: 200 }]);
    const sender = otlpHttpSender({ url, headers: { "x-honeycomb-team": "team-token" }, timeoutMs: 5_000 });
    await sender.send(new Uint8Array([10, 0]));
    sender.close();
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe("/v1/traces");
    expect(received[0]!.headers["content-type"]).toBe("application/x-protobuf");
    expect(received[0]!.headers["x-honeycomb-team"]).toBe("team-token");
    expect([...received[0]!.body]).toEqual([10, 0]);
  });

  it("retries 503 and 429 (honouring Retry-After) until the endpoint accepts", async () => {
    const { url, received } = await endpoint([
      { status: 503 },
      { status: 429, headers: { "retry-after": "0" } },
      { status: 200 },
    ]);
    const sender = otlpHttpSender({ url, headers: {}, timeoutMs: 10_000 });
    await sender.send(new Uint8Array([1]));
    sender.close();
    expect(received).toHaveLength(3);
  });

  it("does not retry an answer that will not change (400) and rejects", async () => {
    const { url, received } = await endpoint([{ status: 400 }]);
    const sender = otlpHttpSender({ url, headers: {}, timeoutMs: 5_000 });
    await expect(sender.send(new Uint8Array([1]))).rejects.toThrow("answered 400");
    sender.close();
    expect(received).toHaveLength(1);
  });

  it("gives up on an unreachable endpoint within its timeout", async () => {
    const { url } = await endpoint([{ status: 200 }]);
    for (const s of servers.splice(0)) s.close(); // nothing listens there now
    const sender = otlpHttpSender({ url, headers: {}, timeoutMs: 1_500 });
    const started = Date.now();
    await expect(sender.send(new Uint8Array([1]))).rejects.toThrow("OTLP export failed");
    expect(Date.now() - started).toBeLessThan(3_000);
    sender.close();
  });
});
