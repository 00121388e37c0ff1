import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RequestEvent } from "@switchyard/events";
import { makeRequestEvent, storeRequestEvents } from "@switchyard/ingest/testing";
import { createClickHouse, MIGRATIONS, runMigrations } from "@switchyard/platform";
import { threadMeter } from "./cpu.ts";

/**
 * What the schema costs ingest: CPU µs per event (the inserts and the background merges they cause, every
 * thread of the process, by thread name) of schema variants, each in a fresh embedded store in its own process
 * (chdb binds one data dir per process), variants interleaved in rounds. A variant is a list of statements
 * run after the migrations (`v005`: the schema before migration 006, `v007` before 008, `v010` before 011); VARIANTS_FILE names a module exporting
 * more. COST_EVENTS (60,000) gateway-shaped events with bodies, COST_BATCH (700) rows per insert (a busy
 * stack's 200 ms flushes). Prints figures, asserts nothing.
 *   node test/bench/analytics-ingest-cost.ts v005,current,bare 3
 */
const VARIANTS: Record<string, string[]> = {
  current: [],
  noproj: [
    ...["rollup_hourly", "rollup_daily", "rollup_daily_users", "rollup_daily_keys", "rollup_daily_prompts"].map(
      (p) => `ALTER TABLE requests DROP PROJECTION ${p}`,
    ),
  ],
  notrace: ["ALTER TABLE requests DROP PROJECTION trace_keys", "ALTER TABLE requests DROP PROJECTION otel_trace_keys"],
  // trace_keys as 001-007 had it (008 added `_part_offset`).
  v007: [
    "ALTER TABLE requests DROP PROJECTION trace_keys",
    "ALTER TABLE requests ADD PROJECTION trace_keys (SELECT trace_id, tenant_id, occurred_at, event_id ORDER BY trace_id)",
  ],
  // requests without record_json (the schema before migration 011).
  v010: ["ALTER TABLE requests DROP COLUMN record_json"],
  noidx: [
    ...["idx_user", "idx_api_key", "idx_prompt", "idx_status", "idx_metadata_keys", "idx_metadata_values"].map(
      (i) => `ALTER TABLE requests DROP INDEX ${i}`,
    ),
  ],
  bare: [] as string[],
  nofsync: ["ALTER TABLE requests MODIFY SETTING fsync_after_insert = 0, fsync_part_directory = 0"],
  notdigest: [
    ...["rollup_hourly", "rollup_daily", "rollup_daily_users", "rollup_daily_keys", "rollup_daily_prompts"].map(
      (p) => `ALTER TABLE requests DROP PROJECTION ${p}`,
    ),
    ...[
      [
        "rollup_hourly",
        "toStartOfHour(occurred_at)",
        "model, provider, endpoint, status_code, cache_status, guardrail_verdict",
      ],
      [
        "rollup_daily",
        "toStartOfDay(occurred_at)",
        "model, provider, endpoint, status_code, cache_status, guardrail_verdict",
      ],
      ["rollup_daily_users", "toStartOfDay(occurred_at)", "user"],
      ["rollup_daily_keys", "toStartOfDay(occurred_at)", "api_key_id, virtual_key_id, config_id"],
      ["rollup_daily_prompts", "toStartOfDay(occurred_at)", "prompt_id, prompt_version"],
    ].map(
      ([
        n,
        t,
        k,
      ]) => `ALTER TABLE requests ADD PROJECTION ${n} (SELECT tenant_id, ${t}, ${k}, count(), countIf(status_code >= 400),
        sum(input_tokens), sum(output_tokens), sum(cost_nano_usd), sum(latency_ms) GROUP BY tenant_id, ${t}, ${k})`,
    ),
  ],
};
VARIANTS.bare = [...VARIANTS.noproj!, ...VARIANTS.notrace!, ...VARIANTS.noidx!];
const extra = process.env.VARIANTS_FILE;
if (extra) Object.assign(VARIANTS, (await import(extra)).VARIANTS as Record<string, string[]>);

const EVENTS = Number(process.env.COST_EVENTS ?? 60_000);
const BATCH = Number(process.env.COST_BATCH ?? 700);

function events(now: number): RequestEvent[] {
  const out: RequestEvent[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const event = makeRequestEvent({
      occurred_at: new Date(now - 3_600_000 + Math.floor((i * 3_600_000) / EVENTS)).toISOString(),
      tenant_id: `tenant-${i % 20}`,
      user: `user-${(i * 7919) % 2000}`,
      api_key_id: `key-${i % 40}`,
      model_requested: ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4"][i % 3]!,
      model_used: null,
      metadata: { env: "prod", team: `team-${i % 7}`, feature: `f-${i % 50}` },
      status_code: i % 17 === 0 ? 429 : 200,
      latency_ms: 100 + ((i * 37) % 900),
      ttft_ms: i % 3 === 0 ? 40 + (i % 200) : null,
      cost_nano_usd: 1_000 + (i % 997),
      prompt_id: i % 4 === 0 ? `prompt-${i % 9}` : null,
      prompt_version: i % 4 === 0 ? 1 + (i % 3) : null,
      bodies: {
        request: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: `Say hello ${i}` }] }),
        response: JSON.stringify({ choices: [{ message: { role: "assistant", content: `Hello! (${i % 100})` } }] }),
        truncated: false,
      },
    });
    out.push(event);
  }
  return out;
}

async function child(variant: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "sy-ingest-cost-"));
  const ch = await createClickHouse({ kind: "embedded", path: dir });
  try {
    // v005: the schema before migration 006 (every other variant starts from the current one).
    await runMigrations(ch.client, variant === "v005" ? MIGRATIONS.filter((m) => m.version <= 5) : MIGRATIONS);
    for (const statement of VARIANTS[variant] ?? []) await ch.client.command({ query: statement });
    const all = events(Date.now());
    const count = async (sql: string) =>
      Number(((await (await ch.client.query({ query: sql, format: "JSONEachRow" })).json()) as { n: string }[])[0]!.n);
    const threads = threadMeter(process.pid);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // Ingest's own row mapping and exactly-once insert (the JSON encoding runs on MainThread, in the window).
    for (let i = 0; i < all.length; i += BATCH) await storeRequestEvents(ch.client, all.slice(i, i + BATCH), i);
    const c1 = process.cpuUsage(c0);
    const insertSec = (performance.now() - t0) / 1000;
    let quiet = 0;
    while (quiet < 3) {
      await new Promise((r) => setTimeout(r, 300));
      quiet = (await count("SELECT count() AS n FROM system.merges")) === 0 ? quiet + 1 : 0;
    }
    const c2 = process.cpuUsage(c0);
    const byThread = Object.fromEntries(
      threads
        .stop()
        .slice(0, 6)
        .map(([n, us]) => [n, Math.round(us / EVENTS)]),
    );
    const parts = await count("SELECT count() AS n FROM system.parts WHERE table = 'requests' AND active");
    const bytes = await count("SELECT sum(bytes_on_disk) AS n FROM system.parts WHERE table = 'requests' AND active");
    console.log(
      JSON.stringify({
        variant,
        insertUs: (c1.user + c1.system) / EVENTS,
        totalUs: (c2.user + c2.system) / EVENTS,
        sysUs: c2.system / EVENTS,
        userUs: c2.user / EVENTS,
        insertSec,
        parts,
        bytesPerRow: bytes / EVENTS,
        byThread,
      }),
    );
  } finally {
    await ch.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  await child(process.argv[3]!);
} else {
  const variants = (process.argv[2] ?? "current,bare").split(",");
  const rounds = Number(process.argv[3] ?? 2);
  const results: Record<string, { insertUs: number; totalUs: number; sysUs: number; userUs: number }[]> = {};
  console.log(
    `load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}; ${EVENTS} events in batches of ${BATCH}`,
  );
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const { stdout } = await promisify(execFile)(process.execPath, [import.meta.filename, "--child", v], {
        env: process.env,
      });
      const res = JSON.parse(stdout.trim().split("\n").at(-1)!);
      results[v] = [...(results[v] ?? []), res];
      console.log(
        `  ${v.padEnd(14)} insert ${res.insertUs.toFixed(1).padStart(6)} µs/ev  +merges ${res.totalUs.toFixed(1).padStart(6)} µs/ev (user ${res.userUs.toFixed(1)} sys ${res.sysUs.toFixed(1)})  ${res.insertSec.toFixed(1)} s  parts ${res.parts}  ${res.bytesPerRow.toFixed(0)} B/row ${JSON.stringify(res.byThread)}`,
      );
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [v, rs] of Object.entries(results)) {
    console.log(
      `median ${v.padEnd(14)} insert ${med(rs.map((x) => x.insertUs)).toFixed(1)}  total ${med(rs.map((x) => x.totalUs)).toFixed(1)} µs/event  user ${med(rs.map((x) => x.userUs)).toFixed(1)}`,
    );
  }
  console.log(
    `load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
}
