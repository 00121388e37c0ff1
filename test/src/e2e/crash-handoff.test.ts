import { once } from "node:events";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import { type AnswerKind, loadUntilKilled, type RoundLedger } from "./crash-load.ts";
import { drainStack, storedTraceCounts, tally } from "./recorded.ts";
import { type StackProcess, spawnStack, tempDir } from "./support.ts";

/**
 * Issue 10 §1/§8: every request whose answer reached the client in full is recorded exactly once,
 * even when the process is SIGKILLed right after. The embedded stack (gateway, log, ingest, chdb)
 * runs as a child process on one DATA_DIR; it is killed 10 times under load and restarted; then a
 * last start drains the spool and the log, and ClickHouse must hold each answered trace id once.
 * Requests cut by a kill may or may not be recorded, but never twice.
 */
const ROUNDS = 10;
const LOOPS = 16;
const GROUP_ID = "crash-handoff-ingest";
const STACK_ENV = { INGEST_GROUP_ID: GROUP_ID, INGEST_FLUSH_INTERVAL_MS: "50" };

interface RoundReport {
  round: number;
  loadMs: number;
  answered: number;
  /** Answered in the last 10 ms before the kill: the window an in-memory queue would lose. */
  answeredLast10ms: number;
  inFlightAtKill: number;
  unanswered: number;
}

/** One answered request: its kind, round, and how long before the kill its last byte was read. */
interface Answered {
  kind: AnswerKind;
  round: number;
  msBeforeKill: number;
}

describe("SIGKILL under load: every answered request recorded exactly once", () => {
  const errorUpstream = new FakeOpenAIUpstream({ name: "crash-errors" });
  const runId = `crash-${process.pid}-${Date.now().toString(36)}`;
  let dataDir: string;
  let live: StackProcess | null = null;

  beforeAll(async () => {
    errorUpstream.record = false;
    errorUpstream.failAlways({ status: 400, message: "rejected by the crash test's upstream" });
    await errorUpstream.start();
    dataDir = await tempDir("e2e-crash");
  });
  afterAll(async () => {
    if (live && live.child.exitCode === null && live.child.signalCode === null) live.child.kill("SIGKILL");
    await errorUpstream.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("finds every answered trace id once after 10 kills", { timeout: 180_000 }, async () => {
    const started = performance.now();
    let seq = 0;
    const nextTraceId = () => `${runId}-${(seq++).toString(36)}`;
    const answered = new Map<string, Answered>();
    const unanswered = new Set<string>();
    const rounds: RoundReport[] = [];

    for (let round = 1; round <= ROUNDS; round += 1) {
      live = await spawnStack({ DATA_DIR: dataDir, ...STACK_ENV });
      const stack = live;
      const gatewayUrl = /gateway\s+(http:\/\/\S+?)\/v1/.exec(stack.output())?.[1];
      if (!gatewayUrl) throw new Error(`no gateway URL in the banner:\n${stack.output()}`);
      const loadMs = 300 + Math.floor(Math.random() * 1_200);
      const exited = once(stack.child, "exit");
      const ledger: RoundLedger = await loadUntilKilled({
        gatewayUrl,
        errorUpstreamUrl: errorUpstream.baseUrl,
        loops: LOOPS,
        killAfterMs: loadMs,
        kill: () => process.kill(stack.child.pid!, "SIGKILL"),
        nextTraceId,
        maxRequestsPerLoop: 5_000,
      });
      await exited;
      expect(stack.child.signalCode, stack.output()).toBe("SIGKILL");
      expect(ledger.anomalies, "answers before the kill must be complete").toEqual([]);
      let answeredLast10ms = 0;
      for (const [id, { kind, answeredAt }] of ledger.answered) {
        const msBeforeKill = ledger.killedAt - answeredAt;
        if (msBeforeKill <= 10) answeredLast10ms += 1;
        answered.set(id, { kind, round, msBeforeKill });
      }
      for (const id of ledger.unanswered.keys()) unanswered.add(id);
      const report: RoundReport = {
        round,
        loadMs,
        answered: ledger.answered.size,
        answeredLast10ms,
        inFlightAtKill: ledger.inFlightAtKill,
        unanswered: ledger.unanswered.size,
      };
      rounds.push(report);
      console.log(`[crash-handoff] round ${round}: ${JSON.stringify(report)}`);
    }
    live = null;

    // Last start, in this process: it replays the spool into the log and ingest consumes the rest.
    const deadLetters = await drainStack(dataDir, STACK_ENV, GROUP_ID);
    const stored = await storedTraceCounts(dataDir, runId);
    const result = tally(answered, unanswered, stored);
    console.log(
      `[crash-handoff] ${ROUNDS} kills, ${answered.size} answered (${kindCounts(answered)}), ${unanswered.size} unanswered; ` +
        `found ${result.found}, missing ${result.missing.length} (${kindCounts(new Map(result.missing))}), ` +
        `duplicated ${result.duplicated.length}; unanswered but recorded ${result.unansweredRecorded}; ` +
        `dead letters ${deadLetters}; ${Math.round(performance.now() - started)} ms`,
    );
    if (result.missing.length > 0) console.log(`[crash-handoff] ${describeMissing(result.missing)}`);
    expect(rounds).toHaveLength(ROUNDS);
    // The test proves something only if it killed under load: answers before each kill, requests cut by it.
    expect(answered.size).toBeGreaterThan(ROUNDS * 20);
    expect(rounds.every((r) => r.inFlightAtKill > 0)).toBe(true);
    expect(result.duplicated).toEqual([]);
    expect(result.missing.map(([id]) => id)).toEqual([]);
  });
});

function kindCounts(entries: Map<string, { kind: AnswerKind }>): string {
  const counts: Record<string, number> = {};
  for (const { kind } of entries.values()) counts[kind] = (counts[kind] ?? 0) + 1;
  return Object.entries(counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
}

/** Where the losses are: per round, and how long before the kill the lost answers were read. */
function describeMissing(missing: Array<[string, Answered]>): string {
  const perRound: Record<number, number> = {};
  for (const [, a] of missing) perRound[a.round] = (perRound[a.round] ?? 0) + 1;
  const ms = missing.map(([, a]) => a.msBeforeKill).sort((x, y) => x - y);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(1);
  return (
    `missing per round ${JSON.stringify(perRound)}; answered before the kill by ` +
    `min ${at(0)} / median ${at(0.5)} / max ${at(1)} ms; e.g. ${missing[0]![0]} (${missing[0]![1].kind})`
  );
}
