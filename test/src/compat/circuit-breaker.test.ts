import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import {
  type CompatStack,
  chatParams,
  failureOf,
  fakeTarget,
  portkeyClient,
  portkeyHeadersOf,
  startCompatStack,
} from "./support.ts";

/**
 * The per-target circuit breaker (Switchyard's addition to Portkey's routing), seen from the
 * portkey SDK: a dead target is skipped without being called once its circuit opens, a probe
 * goes through after the cooldown, and a recovered target serves again. Its own stack, so the
 * breaker thresholds can be short without touching the other suites.
 */
const FAILURES_TO_OPEN = 3;
const COOLDOWN_MS = 1000;

/** Polls by sending requests (never a fixed sleep) until `done` accepts one, with a deadline. */
async function until<T>(call: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await call();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Calls `call` up to 10 times while the circuit opened no earlier than `openedNoEarlierThan` must
 * still be open, running `check` after each call that ended inside the cooldown. Returns how many did.
 */
async function skippedWhileOpen(
  call: () => Promise<{ by: unknown }>,
  openedNoEarlierThan: number,
  check: () => void,
): Promise<number> {
  let inside = 0;
  for (let i = 0; i < 10; i++) {
    const result = await call();
    if (performance.now() >= openedNoEarlierThan + COOLDOWN_MS) break;
    expect(result.by).toBe("fake:healthy");
    check();
    inside += 1;
  }
  return inside;
}

describe("circuit breaker through the portkey SDK", () => {
  const healthy = new FakeOpenAIUpstream({ name: "healthy" });
  let sy: CompatStack;

  beforeAll(async () => {
    await healthy.start();
    sy = await startCompatStack({
      env: {
        SWITCHYARD_BREAKER_FAILURES: String(FAILURES_TO_OPEN),
        SWITCHYARD_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
      },
    });
  });
  afterAll(async () => {
    await sy?.stop();
    await healthy.stop();
  });

  it("opens on a dead target (skipped without a call), probes after the cooldown, recovers", async () => {
    const dead = new FakeOpenAIUpstream({ name: "dead" });
    await dead.start();
    try {
      dead.failAlways({ status: 500, message: "dead" });
      const portkey = portkeyClient(sy.gatewayUrl, {
        config: { strategy: { mode: "fallback" }, targets: [fakeTarget(dead), fakeTarget(healthy)] },
      });
      const served = async () => {
        const completion = await portkey.chat.completions.create(chatParams());
        return { by: completion.system_fingerprint, index: portkeyHeadersOf(completion)["last-used-option-index"] };
      };

      // Closed: every call tries the dead target first, then falls back. The circuit opens during
      // the last of these calls, so no cooldown can end before its start + COOLDOWN_MS.
      let openedNoEarlierThan = 0;
      for (let i = 0; i < FAILURES_TO_OPEN; i++) {
        openedNoEarlierThan = performance.now();
        expect(await served()).toEqual({ by: "fake:healthy", index: "config.targets[1]" });
      }
      expect(dead.received).toBe(FAILURES_TO_OPEN);

      // Open: the dead target is skipped without being called. Only calls that ended inside the
      // cooldown count, so a slow machine cannot turn a legitimate probe into a failure.
      const skipped = await skippedWhileOpen(served, openedNoEarlierThan, () =>
        expect(dead.received).toBe(FAILURES_TO_OPEN),
      );
      expect(skipped).toBeGreaterThanOrEqual(3);

      // Half-open after the cooldown: one probe reaches it; it fails, so the circuit opens again.
      let probeStartedNoEarlierThan = 0;
      await until(
        () => {
          probeStartedNoEarlierThan = performance.now();
          return served();
        },
        () => dead.received > FAILURES_TO_OPEN,
        "the half-open probe",
      );
      expect(performance.now() - openedNoEarlierThan).toBeGreaterThanOrEqual(COOLDOWN_MS);
      expect(dead.received).toBe(FAILURES_TO_OPEN + 1);
      await skippedWhileOpen(served, probeStartedNoEarlierThan, () => expect(dead.received).toBe(FAILURES_TO_OPEN + 1));

      // Recovered: the next probe succeeds, the circuit closes, the first target serves again.
      dead.reset();
      const probe = await until(served, (s) => s.by === "fake:dead", "the recovered target to serve");
      expect(probe).toEqual({ by: "fake:dead", index: "config.targets[0]" });
      expect(dead.received).toBe(1);
      for (let i = 0; i < 5; i++) expect((await served()).by).toBe("fake:dead");
      expect(dead.received).toBe(6);
    } finally {
      await dead.stop();
    }
  });

  it("when every target's circuit is open, the answer comes without calling any upstream", async () => {
    const dead1 = new FakeOpenAIUpstream({ name: "dead1" });
    const dead2 = new FakeOpenAIUpstream({ name: "dead2" });
    await Promise.all([dead1.start(), dead2.start()]);
    try {
      dead1.failAlways({ status: 502 });
      dead2.failAlways({ status: 503 });
      const portkey = portkeyClient(sy.gatewayUrl, {
        config: { strategy: { mode: "fallback" }, targets: [fakeTarget(dead1), fakeTarget(dead2)] },
      });
      let openedNoEarlierThan = 0;
      for (let i = 0; i < FAILURES_TO_OPEN; i++) {
        openedNoEarlierThan = performance.now();
        await failureOf(portkey.chat.completions.create(chatParams()));
      }
      expect([dead1.received, dead2.received]).toEqual([FAILURES_TO_OPEN, FAILURES_TO_OPEN]);
      const failed = await failureOf(portkey.chat.completions.create(chatParams()));
      // Ended inside the cooldown (as it does but on a stalled machine): no upstream may have seen it.
      expect(performance.now() - openedNoEarlierThan).toBeLessThan(COOLDOWN_MS);
      expect([dead1.received, dead2.received]).toEqual([FAILURES_TO_OPEN, FAILURES_TO_OPEN]);
      expect(failed.status).toBe(503);
      expect(failed.error.message).toMatch(/circuit/i);
    } finally {
      await Promise.all([dead1.stop(), dead2.stop()]);
    }
  });
});
