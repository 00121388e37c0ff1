import type { FeedbackEvent, RequestEvent } from "@switchyard/events";

/**
 * Where the gateway's events go. Both methods must be synchronous, cheap and never throw:
 * they run after the response is complete and must never delay or fail a request.
 */
export interface EventSink {
  emit(event: RequestEvent): void;
  emitFeedback(event: FeedbackEvent): void;
}
