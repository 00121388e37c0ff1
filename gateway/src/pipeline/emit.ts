import type { FeedbackEvent, RequestEvent } from "@switchyard/events";

/**
 * Where the gateway's events go. Both methods are cheap and never throw or reject.
 */
export interface EventSink {
  /**
   * Hands the event over; `headers` go on the bus record (trace context), never into the event.
   * A returned promise resolves once the event is in durable storage (it survives the process
   * being killed); the transport waits for it before the last byte of the answer.
   */
  emit(event: RequestEvent, headers?: Record<string, string>): Promise<void> | void;
  emitFeedback(event: FeedbackEvent): void;
}
