import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { type BackoffPolicy, backoffDelay, retryAfterMs } from "../../backoff.ts";

/**
 * POSTs OTLP/HTTP protobuf bodies to one endpoint over a keep-alive connection. Resolves on 2xx;
 * rejects otherwise. Retryable answers (429, 502, 503, 504 — the OTLP/HTTP spec's list) and
 * connection errors are retried with exponential backoff and jitter (Retry-After honoured), all
 * within `timeoutMs` per export, after which the batch counts as failed.
 */
export interface OtlpHttpTarget {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export type SendBody = (body: Uint8Array) => Promise<void>;

const RETRYABLE = new Set([429, 502, 503, 504]);
const MAX_ATTEMPTS = 5;
/** Full jitter over 500 ms doubling to 5 s; a Retry-After from the endpoint replaces it. */
const BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 5_000, jitter: "full" };

class ExportRejected extends Error {
  readonly status: number | null;
  readonly retryAfterMs: number | null;

  constructor(status: number | null, retryAfterMs: number | null, message: string) {
    super(message);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

export function otlpHttpSender(target: OtlpHttpTarget): { send: SendBody; close: () => void } {
  const url = new URL(target.url);
  const secure = url.protocol === "https:";
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 2 })
    : new HttpAgent({ keepAlive: true, maxSockets: 2 });
  const request = secure ? httpsRequest : httpRequest;

  const postOnce = (body: Uint8Array, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        url,
        {
          method: "POST",
          agent,
          timeout: timeoutMs,
          headers: { ...target.headers, "content-type": "application/x-protobuf", "content-length": body.length },
        },
        (res: IncomingMessage) => {
          res.resume(); // the body (an ExportTraceServiceResponse) is not needed
          res.once("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else
              reject(
                new ExportRejected(status, retryAfterMs(res.headers, Date.now()), `OTLP endpoint answered ${status}`),
              );
          });
          res.once("error", reject);
        },
      );
      req.once("timeout", () => req.destroy(new ExportRejected(null, null, "OTLP export timed out")));
      req.once("error", (error) =>
        reject(
          error instanceof ExportRejected
            ? error
            : new ExportRejected(null, null, `OTLP export failed: ${error.message}`),
        ),
      );
      req.end(body);
    });

  const send: SendBody = async (body) => {
    const deadline = Date.now() + target.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const left = deadline - Date.now();
      try {
        await postOnce(body, Math.max(1, left));
        return;
      } catch (error) {
        const rejected = error as ExportRejected;
        const retryable = rejected.status === null || RETRYABLE.has(rejected.status);
        const wait = rejected.retryAfterMs ?? backoffDelay(BACKOFF, attempt);
        if (!retryable || attempt >= MAX_ATTEMPTS || Date.now() + wait >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
      }
    }
  };
  return { send, close: () => agent.destroy() };
}
