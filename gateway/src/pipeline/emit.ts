import type { FeedbackEvent, RequestEvent } from "@switchyard/events";

/**
 * Where the gateway's events go. Both methods must be synchronous, cheap and never throw:
 * they run after the response is complete and must never delay or fail a request.
 */
export interface EventSink {
  /** `headers` go on the bus record (trace context), never into the event. */
  emit(event: RequestEvent, headers?: Record<string, string>): void;
  emitFeedback(event: FeedbackEvent): void;
}
