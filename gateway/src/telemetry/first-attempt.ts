import type { Context, HrTime, Span } from "@switchyard/platform";
import type { AttemptEnd, AttemptStart, AttemptTelemetry } from "./types.ts";

/** The traced request a first try belongs to (RecordingRequest). */
export interface AttemptOwner {
  readonly span: Span;
  readonly context: Context;
  injectHeaders(headers?: Record<string, string>): Record<string, string>;
  /** The try ended: record its metrics (its span, if any, is the owner's business). */
  attemptEnded(start: AttemptStart, result: AttemptEnd): void;
}

/**
 * A first try kept as facts until a second try shows it deserves its own span. Most requests make
 * one try, so this stays cheap: plain fields, wall-clock milliseconds turned into span times only if
 * the span is ever made.
 */
export class FirstAttempt implements AttemptTelemetry {
  readonly start: AttemptStart;
  readonly startedAtMs = Date.now();
  endedAtMs: number | null = null;
  result: AttemptEnd | null = null;
  readonly #request: AttemptOwner;

  constructor(request: AttemptOwner, start: AttemptStart) {
    this.#request = request;
    this.start = start;
  }

  get span(): Span {
    return this.#request.span;
  }

  get context(): Context {
    return this.#request.context;
  }

  injectHeaders(headers?: Record<string, string>): Record<string, string> {
    return this.#request.injectHeaders(headers);
  }

  end(result: AttemptEnd): void {
    if (this.result) return;
    this.result = result;
    this.endedAtMs = Date.now();
    this.#request.attemptEnded(this.start, result);
  }
}

/** Wall-clock milliseconds as an OTel HrTime (the SDK stamps spans from the same clock, Date.now). */
export function hrTimeOf(ms: number): HrTime {
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}
