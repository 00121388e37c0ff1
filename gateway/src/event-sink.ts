import { acceptsRequestEvent, encodeEvent, FeedbackEvent, RequestEvent, Topics } from "@switchyard/events";
import type { Logger, OutgoingRecord } from "@switchyard/platform";
import type { z } from "zod";
import type { EventSink } from "./pipeline/emit.ts";

/** The publisher side the sink needs: a non-blocking enqueue whose promise says durable (the SpoolingPublisher). */
export interface EventQueue {
  enqueue(topic: string, record: OutgoingRecord): Promise<void> | void;
}

/**
 * Validates and serializes each event, then hands it to the queue keyed by trace id (so a
 * trace's events stay ordered on one partition); returns the queue's durability promise. An event
 * that fails validation is a gateway bug (the builder is total): it is logged (without secrets —
 * events hold none) and never breaks a request.
 */
export function queueSink(queue: EventQueue, logger: Logger): EventSink {
  function enqueue<S extends z.ZodType<{ trace_id: string; event_id: string }>>(
    topic: string,
    schema: S,
    event: z.infer<S>,
    headers?: Record<string, string>,
    accepts?: (value: unknown) => boolean,
  ): Promise<void> | void {
    try {
      const value = encodeEvent(schema, event, accepts);
      const record = headers ? { key: event.trace_id, value, headers } : { key: event.trace_id, value };
      return queue.enqueue(topic, record);
    } catch (error) {
      logger.error({ err: error, event_id: event.event_id, topic }, "event failed validation; not emitted");
    }
  }
  return {
    // Every request emits one: the plain-check fast path skips zod's pass when the event is valid as built.
    emit: (event, headers) => enqueue(Topics.requests, RequestEvent, event, headers, acceptsRequestEvent),
    emitFeedback: (event) => {
      void enqueue(Topics.feedback, FeedbackEvent, event);
    },
  };
}
