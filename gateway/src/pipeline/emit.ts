import type { RequestEvent } from "@switchyard/events";

/**
 * Where finished-request events go. emit() must be synchronous, cheap and never throw:
 * it runs after the response is complete and must never delay or fail a request.
 */
export interface RequestEventSink {
  emit(event: RequestEvent): void;
}
