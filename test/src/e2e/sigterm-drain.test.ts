import { once } from "node:events";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import { loadUntilKilled } from "./crash-load.ts";
import { drainStack, storedTraceCounts, tally } from "./recorded.ts";
import { type StackProcess, spawnStack, tempDir } from "./support.ts";

/**
 * Issue 10 §1: a graceful shutdown (SIGTERM) drains everything. The embedded stack runs as a child
 * process under load and gets SIGTERM while requests are in flight: it must finish every one of them
 * (answered in full, none cut), exit 0 on its own, and leave every answered request recorded exactly
 * once — found in ClickHouse after the next start has consumed the log to its end.
 */
const LOOPS = 16;
const GROUP_ID = "sigterm-drain-ingest";
const STACK_ENV = { INGEST_GROUP_ID: GROUP_ID, INGEST_FLUSH_INTERVAL_MS: "50" };
const EXIT_DEADLINE_MS = 30_000;

describe("SIGTERM under load: in-flight requests finish, the process exits 0, nothing is lost", () => {
  const errorUpstream = new FakeOpenAIUpstream({ name: "sigterm-errors" });
  const runId = `sigterm-${process.pid}-${Date.now().toString(36)}`;
  let dataDir: string;
  let live: StackProcess | null = null;

  beforeAll(async () => {
    errorUpstream.record = false;
    errorUpstream.failAlways({ status: 400, message: "rejected by the drain test's upstream" });
    await errorUpstream.start();
    dataDir = await tempDir("e2e-sigterm");
  });
  afterAll(async () => {
    if (live && live.child.exitCode === null && live.child.signalCode === null) live.child.kill("SIGKILL");
    await errorUpstream.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("drains on SIGTERM", { timeout: 120_000 }, async () => {
    let seq = 0;
    live = await spawnStack({ DATA_DIR: dataDir, ...STACK_ENV });
    const stack = live;
    const gatewayUrl = /gateway\s+(http:\/\/\S+?)\/v1/.exec(stack.output())?.[1];
    if (!gatewayUrl) throw new Error(`no gateway URL in the banner:\n${stack.output()}`);
    const exited = once(stack.child, "exit");
    const ledger = await loadUntilKilled({
      gatewayUrl,
      errorUpstreamUrl: errorUpstream.baseUrl,
      loops: LOOPS,
      killAfterMs: 800,
      kill: () => process.kill(stack.child.pid!, "SIGTERM"),
      nextTraceId: () => `${runId}-${(seq++).toString(36)}`,
      maxRequestsPerLoop: 5_000,
    });
    const deadline = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no exit ${EXIT_DEADLINE_MS} ms after SIGTERM`)), EXIT_DEADLINE_MS).unref(),
    );
    const [code, signal] = (await Promise.race([exited, deadline])) as [number | null, NodeJS.Signals | null];
    live = null;
    console.log(
      `[sigterm-drain] answered ${ledger.answered.size}, in flight at SIGTERM ${ledger.inFlightAtKill}, ` +
        `cut ${ledger.unanswered.size}, exit ${code ?? signal}`,
    );
    expect(signal, stack.output()).toBeNull();
    expect(code, stack.output()).toBe(0);
    // It proves something only if SIGTERM came while requests were in flight; each of them finished.
    expect(ledger.inFlightAtKill).toBeGreaterThan(0);
    expect(ledger.anomalies).toEqual([]);
    expect([...ledger.unanswered.values()]).toEqual([]);

    const deadLetters = await drainStack(dataDir, STACK_ENV, GROUP_ID);
    const result = tally(ledger.answered, ledger.unanswered.keys(), await storedTraceCounts(dataDir, runId));
    expect(deadLetters).toBe(0);
    expect(result.duplicated).toEqual([]);
    expect(result.missing.map(([id]) => id)).toEqual([]);
    expect(result.found).toBe(ledger.answered.size);
  });
});
