import { Agent, request } from "undici";

/**
 * The load side of the crash-handoff test: bounded request loops against one gateway, a kill at a
 * chosen moment, and a ledger of which trace ids got their answer in full. "In full" is what a client
 * can rely on: the whole body arrived (undici rejects a body cut short of its content-length or
 * chunked terminator), and a stream ended with `data: [DONE]`.
 */
export type AnswerKind = "json" | "stream" | "error";

export interface Answer {
  kind: AnswerKind;
  status: number;
  /** performance.now() when the last byte had been read (compare with `RoundLedger.killedAt`). */
  answeredAt: number;
}

export interface RoundLedger {
  /** Trace ids answered in full: 200 for json/stream, the upstream's error status for "error". */
  answered: Map<string, Answer>;
  /**
   * Trace ids sent but not answered in full (cut by the kill, or failed otherwise), each with why: its
   * status and body start, or the transport error.
   */
  unanswered: Map<string, string>;
  /** Requests whose answer was still outstanding when the kill was issued. */
  inFlightAtKill: number;
  /** performance.now() when the kill was issued. */
  killedAt: number;
  /** Answers with an unexpected status or an incomplete body while the process was alive. */
  anomalies: string[];
}

export interface LoadOptions {
  gatewayUrl: string;
  /** An upstream (loopback) that answers every request with a 4xx error, for the "error" kind. */
  errorUpstreamUrl: string;
  loops: number;
  killAfterMs: number;
  kill: () => void;
  /** Fresh, unique trace id per request. */
  nextTraceId: () => string;
  /** Cap per loop, so a round is bounded even if the kill never comes. */
  maxRequestsPerLoop: number;
}

const KIND_WEIGHTS: ReadonlyArray<[AnswerKind, number]> = [
  ["json", 0.45],
  ["stream", 0.45],
  ["error", 0.1],
];

function pickKind(): AnswerKind {
  let r = Math.random();
  for (const [kind, weight] of KIND_WEIGHTS) {
    r -= weight;
    if (r < 0) return kind;
  }
  return "json";
}

function requestFor(kind: AnswerKind, traceId: string, errorUpstreamUrl: string) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-portkey-trace-id": traceId,
  };
  if (kind === "error") {
    headers["x-portkey-provider"] = "openai";
    headers["x-portkey-custom-host"] = errorUpstreamUrl;
    headers.authorization = "Bearer sk-crash-test";
  } else {
    headers["x-portkey-provider"] = "mock";
  }
  const body = JSON.stringify({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: `crash test ${traceId}` }],
    ...(kind === "stream" ? { stream: true } : {}),
  });
  return { headers, body };
}

/** Whether a body that arrived without a transport error is a complete answer of this kind. */
function isComplete(kind: AnswerKind, status: number, text: string): boolean {
  if (kind === "stream") return status === 200 && text.trimEnd().endsWith("data: [DONE]");
  if (kind === "json") return status === 200 && isJson(text);
  return status >= 400 && status < 500 && isJson(text);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `loops` concurrent request loops until `killAfterMs`, then calls `kill` while requests are in
 * flight, and returns once every loop has seen its last request end (answered or cut).
 */
export async function loadUntilKilled(options: LoadOptions): Promise<RoundLedger> {
  const ledger: RoundLedger = {
    answered: new Map(),
    unanswered: new Map(),
    inFlightAtKill: 0,
    killedAt: 0,
    anomalies: [],
  };
  const inFlight = new Set<string>();
  const url = `${options.gatewayUrl}/v1/chat/completions`;
  // One pool per round: the killed process's sockets die with it, the next round has a new port.
  const agent = new Agent({ connections: options.loops, headersTimeout: 20_000, bodyTimeout: 20_000 });
  let killedAt: number | null = null;

  const loop = async () => {
    for (let i = 0; i < options.maxRequestsPerLoop && killedAt === null; i += 1) {
      const traceId = options.nextTraceId();
      const kind = pickKind();
      const { headers, body } = requestFor(kind, traceId, options.errorUpstreamUrl);
      inFlight.add(traceId);
      try {
        const res = await request(url, { method: "POST", headers, body, dispatcher: agent });
        const text = await res.body.text();
        if (isComplete(kind, res.statusCode, text)) {
          ledger.answered.set(traceId, { kind, status: res.statusCode, answeredAt: performance.now() });
        } else {
          const reason = `${kind} ${traceId}: ${res.statusCode} ${text.slice(0, 200)}`;
          ledger.unanswered.set(traceId, reason);
          if (killedAt === null) ledger.anomalies.push(reason);
        }
      } catch (error) {
        const reason = `${kind} ${traceId}: ${(error as Error).message}`;
        ledger.unanswered.set(traceId, reason);
        if (killedAt === null) ledger.anomalies.push(reason);
      } finally {
        inFlight.delete(traceId);
      }
    }
  };

  const timer = new Promise<void>((resolve) => {
    setTimeout(() => {
      ledger.inFlightAtKill = inFlight.size;
      killedAt = performance.now();
      ledger.killedAt = killedAt;
      options.kill();
      resolve();
    }, options.killAfterMs);
  });
  const loops = Array.from({ length: options.loops }, loop);
  await Promise.all([timer, ...loops]);
  await agent.destroy();
  return ledger;
}
