import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ProviderFake } from "../fakes/provider-fake.ts";

/**
 * What one upstream call gets. `ok`, `json-error` and `cut` are the provider fake's own answers in
 * its real wire format (`json-error` and `cut` scripted on the fake just before the call is passed
 * on); the rest are failures no well-behaved fake produces: a raw answer (`text-error`: an error
 * whose body is not JSON, or a 200 whose body is HTML, empty, `{}` or truncated JSON), a
 * connection reset before any byte, an answer held back `ms` milliseconds (a target's
 * request_timeout may run out first), one never given (only a timeout or the client ends it), and
 * one passed on whole but whose connection is then held open (`hold`: the answer never ends).
 */
export type UpstreamStep =
  | { kind: "ok" }
  | { kind: "json-error"; status: number }
  | { kind: "cut"; afterEvents: number }
  | { kind: "text-error"; status: number; body: string }
  | { kind: "reset" }
  | { kind: "slow"; ms: number }
  | { kind: "stall" }
  | { kind: "hold" };

/**
 * A reverse proxy in front of one provider fake: a target's custom_host points here, every call
 * takes the next step of a script shared by all fronts of a run (fallback and retries call in
 * turn, so the order is the order of calls) and is forwarded byte for byte, headers included (the
 * Bedrock fake checks a SigV4 signature made over the host header), when the step says so.
 * Once the script is used up every call is `ok`.
 */
export class ChaosFront {
  readonly fake: ProviderFake;
  private readonly shared: ChaosScript;
  private server: Server | null = null;
  private readonly prefix: string;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(fake: ProviderFake, shared: ChaosScript) {
    this.fake = fake;
    this.shared = shared;
    this.prefix = new URL(fake.baseUrl).pathname.replace(/\/$/, "");
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
  }

  /** The custom_host of a target aimed at this front: the fake's base path on the front's port. */
  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}${this.prefix}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const step = this.shared.next();
    if (step.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (step.kind === "stall") return;
    if (step.kind === "text-error") {
      req.resume();
      const json = step.body.startsWith("{") || step.body.startsWith("[");
      res.writeHead(step.status, { "content-type": json ? "application/json" : "text/plain" });
      res.end(step.body);
      return;
    }
    if (step.kind === "json-error") this.fake.failNext(step.status, `scripted ${step.status} from the property test`);
    if (step.kind === "cut") this.fake.cutNext(step.afterEvents);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const forward = () => this.forward(req, Buffer.concat(chunks), res, step.kind === "hold");
      if (step.kind !== "slow") return forward();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!res.destroyed) forward();
      }, step.ms);
      this.timers.add(timer);
    });
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse, hold: boolean): void {
    const target = new URL(this.fake.baseUrl);
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers };
        // Held: chunked without an end, so the gateway keeps waiting for more.
        if (hold) delete headers["content-length"];
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res, { end: !hold });
        if (hold) answer.on("end", () => (this.shared.held += 1));
        // The fake dropped the connection mid-answer (a cut): drop ours the same way.
        answer.on("aborted", () => res.destroy());
        answer.on("error", () => res.destroy());
      },
    );
    upstream.on("error", () => res.destroy());
    // The gateway gave up on this call (a timeout, the client left): so does the fake's call.
    res.on("close", () => upstream.destroy());
    upstream.end(body);
  }
}

/** The run's upstream script, consumed call by call across every front; counts the calls. */
export class ChaosScript {
  private steps: UpstreamStep[] = [];
  calls = 0;
  /** Held answers whose upstream has sent everything (the gateway still waits for their end). */
  held = 0;

  load(steps: readonly UpstreamStep[]): void {
    this.steps = [...steps];
    this.calls = 0;
    this.held = 0;
  }

  next(): UpstreamStep {
    this.calls += 1;
    return this.steps.shift() ?? { kind: "ok" };
  }
}
