import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fake OpenAI upstream speaking the real Chat Completions wire format (JSON bodies, SSE
 * streams with `data: [DONE]`, the usage block incl. cached and reasoning token details,
 * OpenAI error bodies). Tests steer it to fail, stall or cut a stream: for every request
 * (`behaviour`), or for the next few only (`failNext`, `script`), after which it serves again.
 *
 * Each instance has a `name` so a test can tell which upstream served a completion: it is in
 * the `x-fake-upstream` response header, the completion `id` (`chatcmpl-<name>-<n>`) and its
 * `system_fingerprint` (`fake:<name>`), which the gateway relays untouched.
 */
export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  /** performance.now() when the request's body had arrived. */
  at: number;
}

export type Behaviour =
  | { kind: "ok" }
  | {
      kind: "error";
      status: number;
      type: string;
      message: string;
      headers?: Record<string, string>;
      /** A raw body to send instead of the OpenAI error shape (e.g. a non-JSON proxy page). */
      body?: string;
    }
  | { kind: "stall" }
  | { kind: "cut-stream"; afterChunks: number };

/** An upstream failure for `failNext` / `failAlways`; type and message default from the status. */
export interface FakeFailure {
  status: number;
  type?: string;
  message?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface FakeUpstreamOptions {
  /** Names this upstream in responses; defaults to "fake". */
  name?: string;
}

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

const DEFAULT_ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout_error",
  429: "rate_limit_error",
};

export function failure(f: FakeFailure): Behaviour {
  return {
    kind: "error",
    status: f.status,
    type: f.type ?? DEFAULT_ERROR_TYPES[f.status] ?? (f.status >= 500 ? "server_error" : "invalid_request_error"),
    message: f.message ?? `fake upstream failure ${f.status}`,
    ...(f.headers ? { headers: f.headers } : {}),
    ...(f.body !== undefined ? { body: f.body } : {}),
  };
}

export class FakeOpenAIUpstream {
  readonly name: string;
  readonly requests: RecordedRequest[] = [];
  /** What every request gets once `script` is used up. */
  behaviour: Behaviour = { kind: "ok" };
  /** One-shot behaviours consumed in order by the next requests, before `behaviour` applies. */
  readonly script: Behaviour[] = [];
  usage: FakeUsage = DEFAULT_USAGE;
  /** Keep request records (tests) or not (benchmarks). */
  record = true;
  /** Chat requests received since start or the last `reset()`; counted even when `record` is off. */
  received = 0;
  private server: Server | null = null;
  private readonly stalled = new Set<ServerResponse>();
  private readonly idPrefix: string;
  private readonly fingerprint: string;
  private readonly nameHeader: Record<string, string>;

  constructor(options: FakeUpstreamOptions = {}) {
    this.name = options.name ?? "fake";
    this.idPrefix = `chatcmpl-${this.name}-`;
    this.fingerprint = `fake:${this.name}`;
    this.nameHeader = { "x-fake-upstream": this.name };
  }

  /** Fails the next `count` requests with this status (and headers/body), then serves normally again. */
  failNext(count: number, f: FakeFailure): this {
    for (let i = 0; i < count; i++) this.script.push(failure(f));
    return this;
  }

  /** Fails every request from now on (until `reset()` or `behaviour` is set again). */
  failAlways(f: FakeFailure): this {
    this.behaviour = failure(f);
    return this;
  }

  /** Accepts requests and never answers them (the connection is dropped on `stop()` or client abort). */
  stallAlways(): this {
    this.behaviour = { kind: "stall" };
    return this;
  }

  /** Stalls the next `count` requests, then serves normally again. */
  stallNext(count: number): this {
    for (let i = 0; i < count; i++) this.script.push({ kind: "stall" });
    return this;
  }

  /** Back to serving every request, with empty records and counter. */
  reset(): this {
    this.behaviour = { kind: "ok" };
    this.script.length = 0;
    this.requests.length = 0;
    this.received = 0;
    this.usage = DEFAULT_USAGE;
    return this;
  }

  /** Polls (never a fixed sleep) until at least `count` requests have arrived. */
  async waitForRequests(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.received < count) {
      if (Date.now() > deadline) {
        throw new Error(`fake upstream ${this.name}: expected ${count} requests, got ${this.received}`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }

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
      this.received += 1;
      if (this.record) this.requests.push({ path: req.url, headers: req.headers, body, at: performance.now() });
      this.respond(body, res);
    });
  }

  private respond(body: Record<string, unknown>, res: ServerResponse): void {
    const b = this.script.length > 0 ? (this.script.shift() as Behaviour) : this.behaviour;
    if (b.kind === "error") {
      if (b.body !== undefined) {
        res.writeHead(b.status, { "content-type": "text/plain", ...this.nameHeader, ...b.headers });
        res.end(b.body);
        return;
      }
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
      id: `${this.idPrefix}${this.received}`,
      object: "chat.completion",
      created: 1_700_000_000,
      model: `${model}-2024-07-18`,
      system_fingerprint: this.fingerprint,
      choices: [{ index: 0, message: { role: "assistant", content: REPLY_WORDS.join("") }, finish_reason: "stop" }],
      usage: this.usageBlock(),
    });
    res.writeHead(200, {
      "content-type": "application/json",
      "x-ratelimit-remaining-requests": "9999",
      ...this.nameHeader,
    });
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
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...this.nameHeader });
    const base = {
      id: `${this.idPrefix}s${this.received}`,
      object: "chat.completion.chunk",
      created: 1_700_000_000,
      model: `${model}-2024-07-18`,
      system_fingerprint: this.fingerprint,
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
    res.writeHead(status, { "content-type": "application/json", ...this.nameHeader, ...headers });
    res.end(JSON.stringify({ error: { message, type, param: null, code: null } }));
  }
}
