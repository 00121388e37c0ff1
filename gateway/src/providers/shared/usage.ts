import { type Usage, ZERO_USAGE } from "@switchyard/events";

/**
 * Usage of an answer whose provider reported none: zero for now and marked estimated, so the
 * shared HTTP wrapper counts the tokens locally (gpt-tokenizer) before the event is built.
 */
export const ESTIMATE_PENDING_USAGE: Usage = Object.freeze({ ...ZERO_USAGE, estimated: true });
