import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import {
  type CompatStack,
  chatParams,
  failureOf,
  fakeTarget,
  HELLO,
  inWaves,
  openaiClient,
  portkeyClient,
  portkeyHeadersOf,
  startCompatStack,
  traceId,
  traceOf,
  within,
} from "./support.ts";

/**
 * Routing strategies as Portkey users configure them, driven through the unmodified SDKs:
 * fallback, weighted load balancing, retries honouring Retry-After, request timeouts and the
 * per-target circuit breaker (Switchyard's addition), each visible in the response headers
 * and in the recorded event.
 */
describe("routing through the SDKs", () => {
  const a = new FakeOpenAIUpstream({ name: "a" });
  const b = new FakeOpenAIUpstream({ name: "b" });
  let sy: CompatStack;

  beforeAll(async () => {
    await Promise.all([a.start(), b.start()]);
    sy = await startCompatStack({ events: true });
  });
  afterAll(async () => {
    await sy?.stop();
    await Promise.all([a.stop(), b.stop()]);
  });
  beforeEach(() => {
    a.reset();
    b.reset();
  });

  describe("fallback", () => {
    it("first target 500s → second serves; in the headers and in the event's attempts", async () => {
      a.failAlways({ status: 500, message: "upstream a is down" });
      const trace = traceId("fallback");
      const portkey = portkeyClient(sy.gatewayUrl, {
        traceID: trace,
        config: { strategy: { mode: "fallback" }, targets: [fakeTarget(a), fakeTarget(b)] },
      });
      const completion = await portkey.chat.completions.create(chatParams());
      expect(completion.choices[0]?.message?.content).toBe(HELLO);
      expect(completion.system_fingerprint).toBe("fake:b");
      const headers = portkeyHeadersOf(completion);
      expect(headers["last-used-option-index"]).toBe("config.targets[1]");
      expect(headers.provider).toBe("openai");
      expect([a.received, b.received]).toEqual([1, 1]);

      const [event] = await traceOf(sy.analyticsUrl, trace);
      expect(event).toMatchObject({ status_code: 200, target_path: "config.targets[1]" });
      expect(event?.attempts).toEqual([
        expect.objectContaining({ provider: "openai", status_code: 500, target_path: "config.targets[0]" }),
        expect.objectContaining({ provider: "openai", status_code: 200, target_path: "config.targets[1]" }),
      ]);
    });

    it("on_status_codes limits what falls back; the last response is returned even when it failed", async () => {
      a.failAlways({ status: 500 });
      const openai = openaiClient(sy.gatewayUrl, "DUMMY-KEY", {
        "x-portkey-config": JSON.stringify({
          strategy: { mode: "fallback", on_status_codes: [429] },
          targets: [fakeTarget(a), fakeTarget(b)],
        }),
      });
      const failed = await failureOf(openai.chat.completions.create(chatParams()));
      expect(failed.status).toBe(500);
      expect([a.received, b.received]).toEqual([1, 0]);

      a.reset().failAlways({ status: 429 });
      b.failAlways({ status: 503, message: "b is down too" });
      const last = await failureOf(openai.chat.completions.create(chatParams()));
      expect(last.status).toBe(503);
      expect(last.error.message).toContain("b is down too");
      expect([a.received, b.received]).toEqual([1, 1]);
    });
  });

  describe("loadbalance", () => {
    it("10,000 routed calls land within 2% of the weights; weight 0 is never picked", async () => {
      const weights = [5, 3, 2, 0];
      const config = {
        strategy: { mode: "loadbalance" },
        targets: weights.map((weight) => ({ provider: "mock", weight })),
      };
      const portkey = portkeyClient(sy.gatewayUrl, { config });
      const total = 10_000;
      const picks = await inWaves(total, 64, async () => {
        const completion = await portkey.chat.completions.create(chatParams());
        return portkeyHeadersOf(completion)["last-used-option-index"] ?? "none";
      });
      const counts = new Map<string, number>();
      for (const p of picks) counts.set(p, (counts.get(p) ?? 0) + 1);
      const sum = weights.reduce((x, y) => x + y, 0);
      for (const [i, weight] of weights.entries()) {
        const share = (counts.get(`config.targets[${i}]`) ?? 0) / total;
        expect(Math.abs(share - weight / sum), `target ${i} share ${share}`).toBeLessThanOrEqual(0.02);
      }
      expect(counts.get("config.targets[3]") ?? 0).toBe(0);
      expect([...counts.keys()].sort()).toEqual(["config.targets[0]", "config.targets[1]", "config.targets[2]"]);
    }, 120_000);
  });

  describe("retry", () => {
    it("honours Retry-After (seconds) on a 429 and reports the retry count", async () => {
      a.failNext(1, { status: 429, headers: { "retry-after": "1" } });
      const portkey = portkeyClient(sy.gatewayUrl, {
        config: fakeTarget(a, { retry: { attempts: 3, on_status_codes: [429], use_retry_after_header: true } }),
      });
      const started = performance.now();
      const completion = await portkey.chat.completions.create(chatParams());
      const elapsed = performance.now() - started;
      expect(completion.system_fingerprint).toBe("fake:a");
      expect(portkeyHeadersOf(completion)["retry-attempt-count"]).toBe("1");
      expect(a.received).toBe(2);
      expect(elapsed).toBeGreaterThanOrEqual(1000);
      const [first, second] = a.requests;
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(995);
    });

    it("honours retry-after-ms on 503s, retrying up to the attempts", async () => {
      a.failNext(2, { status: 503, headers: { "retry-after-ms": "300" } });
      const trace = traceId("retry-ms");
      const portkey = portkeyClient(sy.gatewayUrl, {
        traceID: trace,
        config: fakeTarget(a, { retry: { attempts: 2, use_retry_after_header: true } }),
      });
      const started = performance.now();
      const completion = await portkey.chat.completions.create(chatParams());
      expect(performance.now() - started).toBeGreaterThanOrEqual(600);
      expect(portkeyHeadersOf(completion)["retry-attempt-count"]).toBe("2");
      expect(a.received).toBe(3);
      const gaps = a.requests.slice(1).map((r, i) => r.at - (a.requests[i]?.at ?? 0));
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(295);
      const [event] = await traceOf(sy.analyticsUrl, trace);
      expect(event?.retry_count).toBe(2);
      expect(event?.attempts.map((x) => x.status_code)).toEqual([503, 503, 200]);
    });

    it("does not retry a status outside on_status_codes", async () => {
      a.failNext(1, { status: 400, message: "bad request upstream" });
      const portkey = portkeyClient(sy.gatewayUrl, {
        config: fakeTarget(a, { retry: { attempts: 3 } }),
      });
      const failed = await failureOf(portkey.chat.completions.create(chatParams()));
      expect(failed.status).toBe(400);
      expect(a.received).toBe(1);
    });
  });

  describe("request timeout", () => {
    it("config request_timeout → 408 with an OpenAI-style error", async () => {
      a.stallAlways();
      const portkey = portkeyClient(sy.gatewayUrl, {
        config: fakeTarget(a, { request_timeout: 300 }),
      });
      const started = performance.now();
      const failed = await within(5000, failureOf(portkey.chat.completions.create(chatParams())), "408");
      const elapsed = performance.now() - started;
      expect(failed.status).toBe(408);
      expect(failed.error).toMatchObject({ type: expect.any(String), message: expect.stringMatching(/time/i) });
      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(elapsed).toBeLessThan(5000);
      expect(a.received).toBe(1);
    });

    it("the SDK's requestTimeout option (x-portkey-request-timeout) → 408", async () => {
      a.stallAlways();
      const portkey = portkeyClient(sy.gatewayUrl, {
        provider: "openai",
        customHost: a.baseUrl,
        Authorization: "Bearer sk-a-timeout-key",
        requestTimeout: 250,
      });
      const failed = await within(5000, failureOf(portkey.chat.completions.create(chatParams())), "408");
      expect(failed.status).toBe(408);
      expect(failed.error.message).toMatch(/time/i);
    });

    it("a timed-out first target falls back to the second", async () => {
      a.stallAlways();
      const portkey = portkeyClient(sy.gatewayUrl, {
        config: {
          strategy: { mode: "fallback" },
          request_timeout: 250,
          targets: [fakeTarget(a), fakeTarget(b)],
        },
      });
      const completion = await within(5000, portkey.chat.completions.create(chatParams()), "fallback");
      expect(completion.system_fingerprint).toBe("fake:b");
      expect(portkeyHeadersOf(completion)["last-used-option-index"]).toBe("config.targets[1]");
    });
  });
});
