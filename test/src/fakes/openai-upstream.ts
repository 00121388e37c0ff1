import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fake OpenAI upstream speaking the real Chat Completions wire format (JSON bodies, SSE
 * streams with `data: [DONE]`, the usage block incl. cached and reasoning token details,
 * OpenAI error bodies). Tests steer it to fail, stall or cut a stream.
 */
export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
}

export type Behaviour =
  | { kind: "ok" }
  | { kind: "error"; status: number; type: string; message: string; headers?: Record<string, string> }
  | { kind: "stall" }
  | { kind: "cut-stream"; afterChunks: number };

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
}

export const DEFAULT_USAGE: FakeUsage = {
  prompt_tokens: 42,
  completion_tokens: 17,
  cached_tokens: 10,
  reasoning_tokens: 0,
};
const REPLY_WORDS = ["Hello", " from", " the", " fake", " upstream", "."];

export class FakeOpenAIUpstream {
  readonly requests: RecordedRequest[] = [];
  behaviour: Behaviour = { kind: "ok" };
  usage: FakeUsage = DEFAULT_USAGE;
  /** Keep request records (tests) or not (benchmarks). */
  record = true;
  private server: Server | null = null;
  private readonly stalled = new Set<ServerResponse>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return this.baseUrl;
  }

  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}/v1`;
  }

  async stop(): Promise<void> {
    for (const res of this.stalled) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        this.sendError(res, 404, "invalid_request_error", `Unknown request URL: ${req.method} ${req.url}`);
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      if (this.record) this.requests.push({ path: req.url, headers: req.headers, body });
      this.respond(body, res);
    });
  }

  private respond(body: Record<string, unknown>, res: ServerResponse): void {
    const b = this.behaviour;
    if (b.kind === "error") {
      this.sendError(res, b.status, b.type, b.message, b.headers);
      return;
    }
    if (b.kind === "stall") {
      this.stalled.add(res);
      res.on("close", () => this.stalled.delete(res));
      return;
    }
    const model = typeof body.model === "string" ? body.model : "gpt-4o-mini";
    if (body.stream === true) {
      this.stream(body, model, res, b.kind === "cut-stream" ? b.afterChunks : null);
      return;
    }
    const payload = JSON.stringify({
      id: "chatcmpl-fake-1",
      object: "chat.completion",
      created: 1_700_000_000,
      model: `${model}-2024-07-18`,
      choices: [{ index: 0, message: { role: "assistant", content: REPLY_WORDS.join("") }, finish_reason: "stop" }],
      usage: this.usageBlock(),
    });
    res.writeHead(200, { "content-type": "application/json", "x-ratelimit-remaining-requests": "9999" });
    res.end(payload);
  }

  private usageBlock() {
    const u = this.usage;
    return {
      prompt_tokens: u.prompt_tokens,
      completion_tokens: u.completion_tokens,
      total_tokens: u.prompt_tokens + u.completion_tokens,
      prompt_tokens_details: { cached_tokens: u.cached_tokens },
      completion_tokens_details: { reasoning_tokens: u.reasoning_tokens },
    };
  }

  private stream(body: Record<string, unknown>, model: string, res: ServerResponse, cutAfter: number | null): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const base = {
      id: "chatcmpl-fake-s",
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: `${model}-2024-07-18`,
    };
    const events: object[] = REPLY_WORDS.map((word, i) => ({
      ...base,
      choices: [
        { index: 0, delta: i === 0 ? { role: "assistant", content: word } : { content: word }, finish_reason: null },
      ],
    }));
    events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
    const options = body.stream_options as { include_usage?: boolean } | undefined;
    if (options?.include_usage)
      events.push({ ...base, choices: [], usage: this.usageBlock() } as (typeof events)[number]);
    let sent = 0;
    for (const event of events) {
      if (cutAfter !== null && sent >= cutAfter) {
        // Flush what was written, then drop the connection mid-stream.
        res.write(": cut\n\n", () => res.destroy());
        return;
      }
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      sent += 1;
    }
    res.end("data: [DONE]\n\n");
  }

  private sendError(
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify({ error: { message, type, param: null, code: null } }));
  }
}
