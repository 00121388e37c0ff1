import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HostileRequest, hostileRequest } from "./hostile-arbitraries.ts";
import {
  CHAT_BODY,
  httpRequest,
  isOurErrorShape,
  MOCK_HEADERS,
  type RawResponse,
  rawRequest,
  type Services,
  startServices,
} from "./support.ts";

/** Fixed so a failure replays exactly; FUZZ_SEED / FUZZ_RUNS explore further by hand. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
const RUNS = Number(process.env.FUZZ_RUNS ?? 5_200);
const CONCURRENCY = 8;

interface Outcome {
  request: HostileRequest;
  response?: RawResponse;
  failure?: string;
}

/** /v1/messages speaks Anthropic's API, errors included: `{type: "error", error: {type, message}}`. */
function isAnthropicErrorShape(body: unknown): boolean {
  const b = body as { type?: unknown; error?: { type?: unknown; message?: unknown } };
  return b?.type === "error" && typeof b.error?.type === "string" && typeof b.error?.message === "string";
}

/** What is wrong with an answer, or undefined: no 5xx, and every error body in our shape. */
function judge(request: HostileRequest, response: RawResponse): string | undefined {
  if (!Number.isInteger(response.status)) return "no parsable status line";
  if (response.status >= 500) return `status ${response.status}: ${response.body.slice(0, 300)}`;
  if (response.trailing !== "") return `a second response after the first: ${response.trailing.slice(0, 200)}`;
  if (response.status < 400 || request.method === "HEAD") return undefined;
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return `status ${response.status} with a non-JSON body: ${JSON.stringify(response.body.slice(0, 200))}`;
  }
  if (isOurErrorShape(body)) return undefined;
  if (request.path.startsWith("/v1/messages") && isAnthropicErrorShape(body)) return undefined;
  return `status ${response.status} body not in our shape: ${response.body.slice(0, 300)}`;
}

async function runAll(services: Services, requests: HostileRequest[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++]!;
      try {
        const response = await rawRequest(services[request.service].port, request.raw, 10_000);
        const failure = judge(request, response);
        outcomes.push(failure ? { request, response, failure } : { request, response });
      } catch (error) {
        outcomes.push({ request, failure: `no answer: ${(error as Error).message}` });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

function describeFailure(outcome: Outcome): string {
  const raw = outcome.request.raw;
  const shown = raw.length > 600 ? `${raw.slice(0, 600)}… (${raw.length} chars)` : raw;
  return `[${outcome.request.service} ${outcome.request.kind}] ${outcome.failure}\n  request: ${JSON.stringify(shown)}`;
}

describe("fuzz: hostile requests against both services", () => {
  let services: Services;
  beforeAll(async () => {
    services = await startServices();
  });
  afterAll(async () => {
    await services?.stop();
  });

  it(`${RUNS} hostile requests: every one answered, no 5xx, every error in our shape; both services still serve and record`, async () => {
    const requests = fc.sample(hostileRequest, { seed: SEED, numRuns: RUNS });
    const eventsBefore = services.gateway.sink.events.length;
    const started = performance.now();
    const outcomes = await runAll(services, requests);
    const seconds = (performance.now() - started) / 1000;

    const failures = outcomes.filter((o) => o.failure !== undefined);
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.response?.status ?? 0, (byStatus.get(o.response?.status ?? 0) ?? 0) + 1);
    const byKind = new Map<string, number>();
    for (const r of requests) byKind.set(`${r.service}/${r.kind}`, (byKind.get(`${r.service}/${r.kind}`) ?? 0) + 1);
    console.info(
      `fuzz: ${outcomes.length} requests in ${seconds.toFixed(1)} s (seed ${SEED}); kinds ${JSON.stringify(Object.fromEntries(byKind))}; statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}; failures ${failures.length}`,
    );
    expect(outcomes).toHaveLength(RUNS);
    expect(failures.slice(0, 10).map(describeFailure).join("\n"), `${failures.length} failures`).toBe("");

    // Both processes' servers are alive and a normal request is still answered...
    const health = await rawRequest(services.analytics.port, httpRequest("GET", "/health"));
    expect(health.status).toBe(200);
    const traceId = "fuzz-aftermath-1";
    const normal = await rawRequest(
      services.gateway.port,
      httpRequest("POST", "/v1/chat/completions", { ...MOCK_HEADERS, "x-portkey-trace-id": traceId }, CHAT_BODY),
    );
    expect(normal.status, normal.body).toBe(200);
    expect(JSON.parse(normal.body)).toMatchObject({ object: "chat.completion" });
    // ...and recorded: its event is emitted like any other.
    const served = outcomes.filter((o) => o.request.service === "gateway" && (o.response?.status ?? 0) < 300).length;
    await services.gateway.sink.waitFor(eventsBefore + 1);
    const deadline = Date.now() + 5_000;
    while (!services.gateway.sink.events.some((e) => e.trace_id === traceId) && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const event = services.gateway.sink.events.find((e) => e.trace_id === traceId);
    console.info(
      `fuzz: ${served} fuzzed gateway requests answered 2xx; ${services.gateway.sink.events.length - eventsBefore} events emitted in all`,
    );
    expect(event, `event of the request after the fuzz (${served} fuzzed gateway requests were served)`).toBeDefined();
    expect(event?.status_code).toBe(200);
  });
});
