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
  /** Send our own trace id (else the gateway makes one, read back from the answer). */
  ownTraceId: boolean;
  usage: FakeUsageTotals | null;
  script: UpstreamStep[];
  /** The client gives up once the upstream has the call (every call stalls, no timeouts). */
  abort: boolean;
}

export interface Observation {
  traceId: string;
  status: number | null;
  contentType: string;
  body: string;
  /** The answer's body broke off (the gateway dropped the connection). */
  bodyError: string | null;
  aborted: boolean;
  gateway: "open" | "keyed";
  /** The gateway key was left out or wrong (on the keyed gateway): authentication must refuse it. */
  unauthenticated: boolean;
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
    const steps: UpstreamStep[] = c.abort ? [{ kind: "stall" }, { kind: "stall" }, { kind: "stall" }] : c.script;
    script.load(steps);
    const forceTimeout = steps.some((s) => s.kind === "stall");
    const config = renderConfig(c.config, {
      leaf: (id) => SETUPS[id].leaf(fronts.get(id)!.baseUrl),
      forceTimeout,
      noTimeout: c.abort,
    });
    sequence += 1;
    const sentTraceId = c.ownTraceId || c.abort ? `prop-${process.pid}-${sequence}` : null;
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
      traceId: sentTraceId ?? "",
      status: null,
      contentType: "",
      body: "",
      bodyError: null,
      aborted: false,
      gateway: c.auth === "open" ? "open" : "keyed",
      unauthenticated: c.auth === "missing" || c.auth === "wrong",
      before: { open: open.sink.events.length, keyed: keyed.sink.events.length },
    };
    const answered = (async () => {
      const res = await fetch(`${c.auth === "open" ? base : keyedBase}${ENDPOINTS[c.endpoint]}`, {
        method: "POST",
        headers,
        body: typeof c.body === "string" ? c.body : JSON.stringify(c.body),
        signal: controller.signal,
      });
      observation.status = res.status;
      observation.contentType = res.headers.get("content-type") ?? "";
      observation.traceId = res.headers.get("x-portkey-trace-id") ?? observation.traceId;
      try {
        observation.body = await res.text();
      } catch (error) {
        observation.bodyError = String((error as Error).message);
      }
    })();
    try {
      if (c.abort) {
        let settled = false;
        void answered.then(
          () => (settled = true),
          () => (settled = true),
        );
        await until(() => settled || script.calls > 0, "the upstream call or an answer");
        if (!settled) {
          observation.aborted = true;
          controller.abort();
        }
      }
      await answered.catch((error: unknown) => {
        if (!observation.aborted) throw error;
      });
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

/** Polls (no fixed sleep) until `predicate` holds; throws after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
