import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type CanonicalRequest,
  type Dialect,
  type DialectResponse,
  FAKE_USAGE,
  type FakeUsageTotals,
  planReply,
  UNKNOWN_MODEL,
} from "./dialect.ts";
import { answerMedia, type MediaKind, mediaKindOf } from "./dialects/openai-media.ts";

export * from "./dialect.ts";

export interface RecordedCall {
  url: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  raw: string;
  canonical: CanonicalRequest | null;
}

type Behaviour =
  | { kind: "ok" }
  | { kind: "error"; status: number; message: string; headers?: Record<string, string> }
  | { kind: "stall" }
  | { kind: "cut"; afterEvents: number };

/**
 * A fake provider upstream speaking one provider's REAL wire format (a `Dialect`: OpenAI,
 * Anthropic, Gemini, Bedrock Converse, Cohere v2) — JSON bodies, SSE or the Bedrock binary event
 * stream, native error bodies and usage blocks. Tests steer it like FakeOpenAIUpstream: fail,
 * stall or cut the next requests. Every request is also read back into a provider-neutral
 * `CanonicalRequest` by the dialect (test code, independent of the gateway's own transforms), so
 * conformance tests can assert what the provider actually received.
 */
export class ProviderFake {
  readonly name: string;
  readonly dialect: Dialect;
  readonly calls: RecordedCall[] = [];
  /** Requests whose client went away before the response ended (an abort reached the upstream). */
  aborted = 0;
  behaviour: Behaviour = { kind: "ok" };
  readonly script: Behaviour[] = [];
  /** Speech answers wait on this after their first piece (then it is cleared). */
  mediaHold: Promise<void> | null = null;
  /** null = the provider reports no usage (tests local estimation). */
  usage: FakeUsageTotals | null = FAKE_USAGE;
  private server: Server | null = null;
  private readonly open = new Set<ServerResponse>();
  private readonly prefix: string;

  constructor(name: string, dialect: Dialect, prefix = "") {
    this.name = name;
    this.dialect = dialect;
    this.prefix = prefix;
  }

  failNext(status: number, message: string, headers?: Record<string, string>): this {
    this.script.push({ kind: "error", status, message, ...(headers ? { headers } : {}) });
    return this;
  }
  stallNext(): this {
    this.script.push({ kind: "stall" });
    return this;
  }
  cutNext(afterEvents: number): this {
    this.script.push({ kind: "cut", afterEvents });
    return this;
  }
  reset(): this {
    this.behaviour = { kind: "ok" };
    this.script.length = 0;
    this.calls.length = 0;
    this.aborted = 0;
    this.usage = FAKE_USAGE;
    return this;
  }
  get last(): RecordedCall | undefined {
    return this.calls[this.calls.length - 1];
  }

  /** Polls (never a fixed sleep) until `predicate` holds. */
  async waitUntil(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`fake ${this.name}: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return this.baseUrl;
  }

  /** What a target's custom_host is set to. */
  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}${this.prefix}`;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const direct =
      req.method === "POST" ? null : this.dialect.direct?.(req.method ?? "GET", new URL(req.url ?? "/", "http://fake"));
    if (direct) {
      this.calls.push({ url: req.url ?? "/", headers: req.headers, body: {}, raw: "", canonical: null });
      const refused = this.dialect.check(req, new URL(req.url ?? "/", "http://fake"), {}, "", {
        model: "",
        stream: false,
        kind: "chat",
      });
      req.resume();
      this.send(res, refused ?? direct);
      return;
    }
    const kind = this.dialect.media ? mediaKindOf(new URL(req.url ?? "/", "http://fake").pathname) : null;
    if (kind !== null) {
      void this.handleMedia(kind, req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://fake");
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        this.send(res, this.dialect.error(400, "request body is not valid JSON"));
        return;
      }
      const match = this.dialect.match(req.method ?? "GET", url, body);
      const record: RecordedCall = { url: url.pathname + url.search, headers: req.headers, body, raw, canonical: null };
      this.calls.push(record);
      if (!match) {
        this.send(res, this.dialect.error(404, `no route ${req.method} ${url.pathname}`));
        return;
      }
      res.on("close", () => {
        this.open.delete(res);
        if (!res.writableFinished) this.aborted += 1;
      });
      this.open.add(res);
      const refused = this.dialect.check(req, url, body, raw, match);
      if (refused) {
        this.send(res, refused);
        return;
      }
      const behaviour = this.script.shift() ?? this.behaviour;
      if (behaviour.kind === "stall") return;
      if (behaviour.kind === "error") {
        const error = this.dialect.error(behaviour.status, behaviour.message);
        this.send(res, { ...error, headers: { ...error.headers, ...behaviour.headers } });
        return;
      }
      if (match.model === UNKNOWN_MODEL) {
        this.send(
          res,
          this.dialect.error(404, `model ${UNKNOWN_MODEL} does not exist or you do not have access to it`),
        );
        return;
      }
      if (match.kind === "embeddings" && this.dialect.embeddings) {
        this.sendJson(res, this.dialect.embeddings(body, match));
        return;
      }
      if (match.kind === "completions" && this.dialect.completions && !match.stream) {
        this.sendJson(res, this.dialect.completions(body, match, this.usage));
        return;
      }
      const canonical = this.dialect.parse(body, match);
      record.canonical = canonical;
      const plan = planReply(canonical);
      if (!match.stream) {
        this.sendJson(res, this.dialect.json(plan, match, this.usage, body));
        return;
      }
      const events = this.dialect.events(plan, match, this.usage, body);
      res.writeHead(200, { "content-type": this.dialect.streamContentType, "x-fake-upstream": this.name });
      const cutAfter = behaviour.kind === "cut" ? behaviour.afterEvents : null;
      events.forEach((event, i) => {
        if (cutAfter !== null && i > cutAfter) return;
        if (cutAfter !== null && i === cutAfter) {
          // Half of the next event, then the connection drops mid-stream.
          const half =
            typeof event === "string"
              ? event.slice(0, Math.floor(event.length / 2))
              : event.subarray(0, Math.floor(event.length / 2));
          res.write(half, () => res.destroy());
          return;
        }
        res.write(event);
      });
      if (cutAfter === null || cutAfter >= events.length) res.end();
    });
  }

  /** Images and audio: the same credential check and scripted failures, then OpenAI's media answers. */
  private async handleMedia(kind: MediaKind, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const record: RecordedCall = {
      url: url.pathname + url.search,
      headers: req.headers,
      body: {},
      raw: "",
      canonical: null,
    };
    this.calls.push(record);
    const refused = this.dialect.check(req, url, {}, "", { model: "", stream: false, kind: "chat" });
    const behaviour = refused ? null : (this.script.shift() ?? this.behaviour);
    if (refused || behaviour?.kind === "error") {
      req.resume();
      const error =
        refused ??
        this.dialect.error((behaviour as { status: number }).status, (behaviour as { message: string }).message);
      this.send(res, error);
      return;
    }
    const hold = this.mediaHold;
    this.mediaHold = null;
    const answered = await answerMedia(kind, req, res, hold);
    record.body = answered.body;
    record.raw = answered.raw;
  }

  private sendJson(res: ServerResponse, body: object): void {
    this.send(res, {
      status: 200,
      headers: { "content-type": "application/json", "x-ratelimit-remaining-requests": "99" },
      body: JSON.stringify(body),
    });
  }

  private send(res: ServerResponse, response: DialectResponse): void {
    res.writeHead(response.status, { "x-fake-upstream": this.name, ...response.headers });
    res.end(response.body);
  }
}
