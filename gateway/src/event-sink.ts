import { encodeEvent, RequestEvent, Topics } from "@switchyard/events";
import type { Logger, OutgoingRecord } from "@switchyard/platform";
import type { RequestEventSink } from "./pipeline/emit.ts";

/** The publisher side the sink needs: a non-blocking enqueue (the SpoolingPublisher). */
export interface EventQueue {
  enqueue(topic: string, record: OutgoingRecord): void;
}

/**
 * Validates and serializes each event, then hands it to the queue keyed by trace id (so a
 * trace's events stay ordered on one partition). An event that fails validation is a gateway
 * bug: it is logged (without secrets — events hold none) and never breaks a request.
 */
export function queueSink(queue: EventQueue, logger: Logger): RequestEventSink {
  return {
    emit(event) {
      try {
        queue.enqueue(Topics.requests, { key: event.trace_id, value: encodeEvent(RequestEvent, event) });
      } catch (error) {
        logger.error({ err: error, event_id: event.event_id }, "request event failed validation; not emitted");
      }
    },
  };
}
