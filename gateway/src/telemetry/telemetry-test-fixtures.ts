import { inMemoryTelemetry, type ReadableSpan } from "@switchyard/platform/telemetry-testing";
import { createGatewayTelemetry } from "./gateway-telemetry.ts";

/** Fixtures shared by the gateway telemetry tests. */
export const APP_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
export const APP_SPAN = "00f067aa0ba902b7";
export const traceparent = `00-${APP_TRACE}-${APP_SPAN}-01`;
export const body = {
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Say hello" }],
  temperature: 0.2,
  max_tokens: 64,
  top_p: 0.9,
  stop: "\n",
  seed: 7,
};
export const usage = {
  input_tokens: 42,
  output_tokens: 17,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
};
export const completion = JSON.stringify({
  id: "chatcmpl-123",
  model: "gpt-4o-mini-2024-07-18",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello!" }, finish_reason: "stop" }],
});

export function setup(options: { tracing?: boolean; captureContent?: boolean } = {}) {
  const mem = inMemoryTelemetry(options);
  return { ...mem, gateway: createGatewayTelemetry(mem.telemetry) };
}

export const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
export const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
