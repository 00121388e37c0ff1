import type { CpuProfile, CpuProfileNode } from "./inspector.ts";

/**
 * Reads a V8 CPU profile of the gateway's main thread under load: self time by part of the request
 * path, and the functions with the most self and inclusive time, each as µs per request (sampled
 * time ÷ requests completed while profiling). Idle samples are left out, so the figures add up to the
 * main thread's busy time; GC helper threads and the libuv pool are not in a JS profile.
 */
const GROUPS: Array<[string, (url: string, fn: string) => boolean]> = [
  ["GC", (_u, f) => f === "(garbage collector)"],
  ["V8/native (program)", (_u, f) => f === "(program)"],
  ["zod validation", (u) => u.includes("/zod/") || u.includes("gateway/src/schemas/")],
  [
    "fastify + body parsing",
    (u) =>
      /\/(fastify|find-my-way|avvio|light-my-request|secure-json-parse|@fastify)\//.test(u) ||
      u.includes("platform/src/http/"),
  ],
  ["logging (pino)", (u) => u.includes("/pino")],
  ["undici fetch to upstream", (u) => u.includes("/undici/") || u.startsWith("node:internal/deps/undici")],
  ["provider request build + response", (u) => u.includes("gateway/src/providers/")],
  [
    "routing / planning",
    (u) => u.includes("gateway/src/routing/") || u.includes("pipeline/plan-route") || u.includes("stages/route."),
  ],
  [
    "events: build + encode + publish",
    (u) =>
      u.includes("events/src/") ||
      u.includes("gateway/src/event-sink") ||
      u.includes("platform/src/bus/") ||
      u.includes("pipeline/request-event") ||
      u.includes("pipeline/emit") ||
      u.includes("stages/emit-event") ||
      u.includes("gateway/src/usage"),
  ],
  ["telemetry / metrics", (u) => u.includes("/telemetry/") || u.includes("@opentelemetry")],
  ["gateway pipeline / routes glue", (u) => u.includes("gateway/src/") || u.includes("platform/src/")],
  [
    "node http/net/streams",
    (u) => /^node:(_http|http|net|internal\/(http|streams|stream_base|net|js_stream)|stream|internal\/url)/.test(u),
  ],
  [
    "node timers/async/events",
    (u) => /^node:(internal\/(timers|process\/task_queues|async_hooks)|timers|events)/.test(u),
  ],
  ["node core other", (u) => u.startsWith("node:")],
];

export function groupOf(node: CpuProfileNode): string {
  const { url, functionName } = node.callFrame;
  for (const [name, test] of GROUPS) if (test(url, functionName)) return name;
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  return pkg ? `other: ${pkg}` : url === "" ? "V8 builtins / native" : `other: ${url.split("/").slice(-2).join("/")}`;
}

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\/.*?\/(node_modules\/)/, "$1")
    .replace(/^file:\/\/.*?\/(gateway|platform|events|ingest|stack|analytics-api)\/src\//, "$1/")
    .replace(/^node_modules\//, "");

function keyOf(node: CpuProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || "(anonymous)"}  ${shortUrl(url)}:${lineNumber + 1}`;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  groups: Array<[string, number]>;
  topSelf: Array<[string, number]>;
  topInclusive: Array<[string, number]>;
}

/**
 * `intervalUs` (the sampling interval) caps what one sample is billed: a sample's time delta also
 * holds any stretch the thread spent preempted (on a busy box, other processes' turns), which is
 * not the sampled function's cost. Capped at twice the interval, the figures stay near CPU time
 * there; without it, each sample is billed its whole delta (wall time).
 */
export function summarize(profile: CpuProfile, intervalUs?: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const meanDelta = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const groups = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const delta = profile.timeDeltas[i + 1] ?? meanDelta;
    const micros = intervalUs === undefined ? delta : Math.min(delta, 2 * intervalUs);
    if (node.callFrame.functionName === "(idle)") {
      idle += micros;
      return;
    }
    busy += micros;
    self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + micros);
    groups.set(groupOf(node), (groups.get(groupOf(node)) ?? 0) + micros);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (!frame || frame.callFrame.functionName === "(root)") continue;
      const key = keyOf(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    groups: sorted(groups),
    topSelf: sorted(self).slice(0, 30),
    // Frames every request passes through (the HTTP parser's callbacks, the event loop) top any inclusive list: keep ours and libraries'.
    topInclusive: sorted(inclusive)
      .filter(([k]) => !/^\((program|garbage collector)\)/.test(k))
      .slice(0, 45),
  };
}

export function printSummary(s: ProfileSummary, requests: number): void {
  const per = (micros: number) => (micros / requests).toFixed(1).padStart(7);
  const pct = (micros: number) => `${((micros / (s.busyMs * 1000)) * 100).toFixed(1).padStart(5)}%`;
  console.log(
    `\nmain thread busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms, ${requests} requests → ${((s.busyMs * 1000) / requests).toFixed(1)} µs busy per request`,
  );
  console.log("\nself time by part of the request path        µs/req   share");
  for (const [name, micros] of s.groups) console.log(`  ${name.padEnd(42)} ${per(micros)}  ${pct(micros)}`);
  console.log("\ntop functions by self time                                                        µs/req   share");
  for (const [name, micros] of s.topSelf)
    console.log(`  ${name.slice(0, 78).padEnd(78)} ${per(micros)}  ${pct(micros)}`);
  console.log("\ntop functions by inclusive time                                                   µs/req   share");
  for (const [name, micros] of s.topInclusive)
    console.log(`  ${name.slice(0, 78).padEnd(78)} ${per(micros)}  ${pct(micros)}`);
}
