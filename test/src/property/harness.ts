import { buildTestGateway } from "@switchyard/gateway/testing";
import { sha256Hex } from "@switchyard/platform";
import { SETUPS } from "../conformance/support.ts";
import type { FakeUsageTotals, ProviderFake } from "../fakes/provider-fake.ts";
import { ChaosFront, ChaosScript, type UpstreamStep } from "./chaos-front.ts";
import { type ConfigNode, PROPERTY_PROVIDERS, type PropertyProvider, renderConfig } from "./config-arbitraries.ts";
import { asciiJson, ENDPOINTS, type EndpointName } from "./request-arbitraries.ts";

/**
 * The REAL gateway app (keyed: one gateway key, so a request can be refused before admission)
 * listening on loopback, and per provider its fake (real wire format) behind a ChaosFront.
 * `send` runs one generated case and `check` states the property about it.
 */
export const GATEWAY_KEY = "sy-property-secret";

export interface PropertyCase {
  endpoint: EndpointName;
  /** JSON body, or raw bytes sent as they are. */
  body: Record<string, unknown> | string;
  config: ConfigNode;
  metadata: string | undefined;
  /** "open": the local-dev gateway; else the keyed one with the key, none, or a wrong one. */
  auth: "open" | "keyed" | "missing" | "wrong";
  /**
   * The x-portkey-trace-id sent: none (the gateway makes one, read back from the answer), plain,
   * odd ASCII with surrounding spaces, exactly the 256-character bound, or one past it (refused
   * after admission: a 400 recorded under a generated trace id, read back from the answer).
   */
  traceId: "none" | "plain" | "odd" | "max" | "too-long";
  usage: FakeUsageTotals | null;
  script: UpstreamStep[];
  /**
   * Whether the client leaves (no request_timeout then, so only the client can end the request):
   * "before-answer" once the upstream has the call (every call stalls); "mid-answer" after the
   * first bytes of a streamed answer (every upstream answer is held open after its last byte).
   */
  abort: "none" | "before-answer" | "mid-answer";
}

export interface Observation {
  traceId: string;
  status: number | null;
  contentType: string;
  body: string;
  /** The answer's body broke off (the gateway dropped the connection). */
  bodyError: string | null;
  aborted: boolean;
  /**
   * The client left before any status while an upstream answer was held open: the gateway may
   * have finished its answer already (a stream it ended at [DONE]), so the event may say 499 or
   * the status the client never saw.
   */
  leftUnseen?: boolean;
  gateway: "open" | "keyed";
  /** The gateway key was left out or wrong (on the keyed gateway): authentication must refuse it. */
  unauthenticated: boolean;
  /** The trace id is past its bound: refused after admission (400, recorded under a generated trace id). */
  badTraceId?: boolean;
  /** Events in each gateway's sink before the request was sent (the runs are sequential). */
  before: { open: number; keyed: number };
}

export async function startPropertyStack() {
  // Local-dev (open) mode admits everyone and lets custom_host point at loopback, where the fakes
  // listen. Once a gateway key exists the SSRF guard refuses loopback hosts (a 400 after
  // admission), so the keyed gateway serves the authentication cases: refused (401, no event) or
  // admitted and refused at the target (400, one event).
  const open = buildTestGateway();
  const keyed = buildTestGateway({
    keys: [{ id: "key-prop", tenant_id: "prop", key_sha256: sha256Hex(GATEWAY_KEY), role: "tenant", revoked: false }],
  });
  const script = new ChaosScript();
  const fakes = new Map<PropertyProvider, ProviderFake>();
  const fronts = new Map<PropertyProvider, ChaosFront>();
  for (const id of PROPERTY_PROVIDERS) {
    const fake = SETUPS[id].makeFake();
    await fake.start();
    const front = new ChaosFront(fake, script);
    await front.start();
    fakes.set(id, fake);
    fronts.set(id, front);
  }
  const base = await open.app.listen({ port: 0, host: "127.0.0.1" });
  const keyedBase = await keyed.app.listen({ port: 0, host: "127.0.0.1" });
  let sequence = 0;

  async function send(c: PropertyCase): Promise<Observation> {
    for (const fake of fakes.values()) {
      fake.reset();
      fake.usage = c.usage;
    }
    const leave: UpstreamStep["kind"] | null =
      c.abort === "before-answer" ? "stall" : c.abort === "mid-answer" ? "hold" : null;
    const steps = leave ? Array.from({ length: 3 }, () => ({ kind: leave }) as UpstreamStep) : c.script;
    script.load(steps);
    const forceTimeout = steps.some((s) => s.kind === "stall");
    const config = renderConfig(c.config, {
      leaf: (id) => SETUPS[id].leaf(fronts.get(id)!.baseUrl),
      forceTimeout,
      noTimeout: c.abort !== "none",
    });
    sequence += 1;
    const badTraceId = c.traceId === "too-long" && c.abort === "none";
    const sentTraceId = traceIdFor(c.abort === "none" ? c.traceId : "plain", `prop-${process.pid}-${sequence}`);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-portkey-config": asciiJson(config),
      "x-trace-me": "forwarded-by-the-client",
    };
    if (c.auth === "keyed") headers["x-portkey-api-key"] = GATEWAY_KEY;
    if (c.auth === "wrong") headers["x-portkey-api-key"] = "sy-not-a-key";
    if (c.metadata !== undefined) headers["x-portkey-metadata"] = c.metadata;
    if (sentTraceId) headers["x-portkey-trace-id"] = sentTraceId;
    const controller = new AbortController();
    // A hang is a finding, not a stuck test: every case must be answered well within this.
    const hang = setTimeout(() => controller.abort(new Error("no answer within 10 s")), 10_000);
    const observation: Observation = {
      // The event carries the id trimmed, as the gateway echoes it; one past its bound is replaced by a generated
      // id, read back from the answer.
      traceId: badTraceId ? "" : (sentTraceId?.trim() ?? ""),
      status: null,
      contentType: "",
      body: "",
      bodyError: null,
      aborted: false,
      gateway: c.auth === "open" ? "open" : "keyed",
      unauthenticated: c.auth === "missing" || c.auth === "wrong",
      badTraceId,
      before: { open: open.sink.events.length, keyed: keyed.sink.events.length },
    };
    const url = `${c.auth === "open" ? base : keyedBase}${ENDPOINTS[c.endpoint]}`;
    const init = { method: "POST", headers, body: typeof c.body === "string" ? c.body : JSON.stringify(c.body) };
    try {
      await exchange(url, init, c.abort, controller, observation, script);
    } finally {
      clearTimeout(hang);
    }
    return observation;
  }

  return {
    gw: open,
    keyed,
    base,
    send,
    fakes,
    sinks: { open: open.sink, keyed: keyed.sink },
    async close() {
      await open.close();
      await keyed.close();
      for (const front of fronts.values()) await front.stop();
      for (const fake of fakes.values()) await fake.stop();
    },
  };
}

export type PropertyStack = Awaited<ReturnType<typeof startPropertyStack>>;

/**
 * POSTs `body` (JSON) to the open gateway with `config` as its x-portkey-config and `traceId`, and
 * observes the answer as `check` reads it (a plain client: no gateway key, no abort).
 */
export async function postToOpen(
  stack: PropertyStack,
  path: string,
  body: object,
  config: object,
  traceId: string,
): Promise<{ res: Response; observation: Observation }> {
  const before = { open: stack.sinks.open.events.length, keyed: stack.sinks.keyed.events.length };
  const res = await fetch(`${stack.base}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-portkey-trace-id": traceId,
      "x-portkey-config": JSON.stringify(config),
    },
    body: JSON.stringify(body),
  });
  const observation: Observation = {
    traceId,
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    body: await res.text(),
    bodyError: null,
    aborted: false,
    gateway: "open",
    unauthenticated: false,
    before,
  };
  return { res, observation };
}

/** Polls (no fixed sleep) until `predicate` holds; throws after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * One request as a client makes it, into `o`: status, headers, the whole body — or, when the
 * client is to leave, the abort at the planned moment (`o.aborted`).
 */
async function exchange(
  url: string,
  init: RequestInit,
  abort: PropertyCase["abort"],
  controller: AbortController,
  o: Observation,
  script: ChaosScript,
): Promise<void> {
  let settled = false;
  let headersIn = false;
  const leave = () => {
    o.aborted = true;
    controller.abort();
  };
  const answered = (async () => {
    const res = await fetch(url, { ...init, signal: controller.signal });
    headersIn = true;
    o.status = res.status;
    o.contentType = res.headers.get("content-type") ?? "";
    o.traceId = res.headers.get("x-portkey-trace-id") ?? o.traceId;
    if (abort === "mid-answer" && o.contentType.startsWith("text/event-stream")) {
      await res.body?.getReader().read();
      return leave();
    }
    try {
      o.body = await res.text();
    } catch (error) {
      o.bodyError = String((error as Error).message);
    }
  })().finally(() => {
    settled = true;
  });
  if (abort === "before-answer") {
    await until(() => settled || script.calls > 0, "the upstream call or an answer");
    if (!settled) leave();
  }
  if (abort === "mid-answer") {
    // A held JSON answer never comes: leave once the upstream has sent all it will (a stream's
    // headers usually follow at once; polled briefly so most streams are left mid-answer).
    await until(() => settled || headersIn || script.held > 0, "an answer or a held upstream");
    await until(() => settled || headersIn, "headers", 50).catch(() => undefined);
    if (!settled && !headersIn) {
      o.leftUnseen = true;
      leave();
    }
  }
  await answered.catch((error: unknown) => {
    if (!o.aborted) throw error;
  });
}

function traceIdFor(kind: PropertyCase["traceId"], unique: string): string | null {
  if (kind === "none") return null;
  if (kind === "odd") return `  ${unique} ~!@#$%^&*()[]{}<>?/\\|'"\t `;
  if (kind === "max") return unique.padEnd(256, "x");
  if (kind === "too-long") return unique.padEnd(257, "x");
  return unique;
}
