import { upstreamServer } from "../../telemetry/index.ts";
import { type AttemptStage, thenNext } from "../stage.ts";
import { replyErrorType, replyStatus } from "./call-provider.ts";

/**
 * Attempt-level: a CLIENT span per upstream try (retries and fallbacks each get one), whose
 * traceparent travels to the upstream with the forwarded headers.
 * Writes: the attempt's target.forwardHeaders.
 */
export const attemptTelemetry: AttemptStage = {
  name: "attempt-telemetry",
  run(a, next) {
    const t = a.request.telemetry;
    if (t === null) return next();
    const span = t.attempt({
      provider: a.prepared.providerId,
      model: a.model,
      ...upstreamServer(a.provider.upstreamUrl?.(a.target) ?? a.target.customHost),
      targetPath: a.leaf.path,
      retry: a.retry,
    });
    // Copies the target only when there is a trace context to pass on (the common untraced case has none).
    const trace = span.injectHeaders({});
    for (const _ in trace) {
      a.target = { ...a.target, forwardHeaders: { ...a.target.forwardHeaders, ...trace } };
      break;
    }
    return thenNext(
      next,
      (reply) => {
        span.end({ status: replyStatus(reply), errorType: replyErrorType(reply) });
        return reply;
      },
      (error) => {
        span.end(
          a.signal.aborted ? { status: 499, errorType: "aborted" } : { status: 502, errorType: "network_error" },
        );
        throw error;
      },
    );
  },
};
