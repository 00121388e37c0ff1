import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, refusedBeforeAdmission } from "./check.ts";
import { type ConfigNode, configArb, describeConfig } from "./config-arbitraries.ts";
import { type PropertyCase, type PropertyStack, startPropertyStack } from "./harness.ts";
import {
  authArb,
  type EndpointName,
  metadataArb,
  OFFERED_BY,
  requestArb,
  scriptArb,
  usageArb,
} from "./request-arbitraries.ts";

/**
 * Issue 10 §2: no accepted request without its event. Random configs, bodies, metadata, gateway
 * keys and upstream behaviour (real wire formats of six providers behind a chaos proxy: usage
 * absent or odd, JSON and non-JSON errors, streams cut midway, connection resets, slow answers
 * hitting request_timeout, a client that leaves) go through the real gateway app; every request
 * that got an answer must have exactly one valid, encodable event whose status is the answer's,
 * and a request refused before admission none. Fixed seed: a failure replays as it was found.
 */
// PROPERTY_SEED / PROPERTY_RUNS explore further by hand; the suite always runs the fixed pair.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261207);

const configFor = Object.fromEntries(
  Object.entries(OFFERED_BY).map(([endpoint, offering]) => [endpoint, configArb(offering)]),
) as Record<EndpointName, fc.Arbitrary<ConfigNode>>;

const caseArb: fc.Arbitrary<PropertyCase> = requestArb.chain(({ endpoint, body }) =>
  fc
    .record({
      config: configFor[endpoint],
      metadata: metadataArb,
      auth: authArb,
      traceId: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom("none" as const, "plain" as const) },
        { weight: 1, arbitrary: fc.constantFrom("odd" as const, "max" as const, "too-long" as const) },
      ),
      usage: usageArb,
      script: scriptArb,
      abort: fc.oneof(
        { weight: 14, arbitrary: fc.constant("none" as const) },
        { weight: 1, arbitrary: fc.constantFrom("before-answer" as const, "mid-answer" as const) },
      ),
    })
    .map((rest) => ({ ...rest, endpoint, body })),
);

function describeCase(c: PropertyCase): string {
  const body = typeof c.body === "string" ? c.body : JSON.stringify(c.body);
  return [
    `${c.endpoint} auth=${c.auth} abort=${c.abort} traceId=${c.traceId} config=${describeConfig(c.config)}`,
    `script=${JSON.stringify(c.script)} usage=${JSON.stringify(c.usage)} metadata=${c.metadata ?? "-"}`,
    `body=${body.length > 300 ? `${body.slice(0, 300)}… (${body.length} chars)` : body}`,
  ].join("\n");
}

describe("every answered request has exactly one valid event (property)", () => {
  let stack: PropertyStack;
  beforeAll(async () => {
    stack = await startPropertyStack();
  });
  afterAll(() => stack?.close());

  it(`holds for ${RUNS} random configs × bodies × upstream answers`, async () => {
    const statuses = new Map<string, number>();
    let admitted = 0;
    const reached = new Set<string>();
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const o = await stack.send(c);
        const problems = await check(stack, o);
        if (problems.length > 0) {
          const answer = `answer: ${o.status} ${o.contentType} ${o.body.slice(0, 400)}`;
          throw new Error(`${problems.join("; ")}\n${answer}\n${describeCase(c)}`);
        }
        const key = `${o.aborted ? "aborted" : o.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (!refusedBeforeAdmission(o)) admitted += 1;
        const event = stack.sinks[o.gateway].events.at(-1);
        if (o.contentType.startsWith("text/event-stream")) reached.add(o.aborted ? "left mid-stream" : "stream");
        if (event?.trace_id === o.traceId && event.error_type) reached.add(event.error_type);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const ms = Math.round(performance.now() - started);
    const answers = JSON.stringify(Object.fromEntries(statuses));
    console.info(`property: ${RUNS} runs in ${ms} ms; answers ${answers}; reached ${[...reached].join(", ")}`);
    // The whole run: no event for anything but the admitted requests, none duplicated late.
    const traceIds = [...stack.sinks.open.events, ...stack.sinks.keyed.events].map((e) => e.trace_id);
    expect(new Set(traceIds).size).toBe(traceIds.length);
    expect(traceIds.length).toBe(admitted);
    // The generators reach the outcomes the property is about, not only 400s.
    for (const status of ["200", "400", "401", "408", "502", "aborted"])
      expect(statuses.get(status)).toBeGreaterThan(0);
    for (const outcome of [
      "stream",
      "stream_interrupted",
      "request_timeout",
      "client_disconnected",
      "invalid_config",
    ]) {
      expect(reached).toContain(outcome);
    }
  });
});
