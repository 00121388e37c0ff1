import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pinned } from "./processes.ts";

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSec: number;
  /** CPUs for the load generator (wrk only; autocannon runs inside the bench process). */
  cpus?: string;
}

export interface LoadResult {
  tool: "wrk" | "autocannon";
  requestsPerSec: number;
  /** Responses completed in the measured run (what CPU per request divides by). */
  requests: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

function hasWrk(): boolean {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; ENOENT means it is absent.
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/** Runs one load: wrk (C, cheap on a shared 2-core box) when installed, else autocannon. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return hasWrk() ? runWrk(spec) : runAutocannon(spec);
}

const luaString = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "sy-bench-"));
  const script = join(dir, "post.lua");
  const lines = ['wrk.method = "POST"', `wrk.body = ${luaString(spec.body)}`];
  for (const [k, v] of Object.entries(spec.headers)) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  writeFileSync(script, `${lines.join("\n")}\n`);
  const args = ["-t1", `-c${spec.connections}`, `-d${spec.durationSec}s`, "--latency", "-s", script, spec.url];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(...pinned(spec.cpus, "wrk", args));
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in /.exec(output)?.[1] ?? Number.NaN);
  return {
    tool: "wrk",
    requestsPerSec: rps,
    requests,
    p50Ms: percentile(output, "50%"),
    p99Ms: percentile(output, "99%"),
    non2xx,
  };
}

function percentile(output: string, label: string): number {
  const match = new RegExp(`\\s${label.replace("%", "%")}\\s+([\\d.]+)(us|ms|s)`).exec(output);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const { default: autocannon } = await import("autocannon");
  const result = await autocannon({
    url: spec.url,
    method: "POST",
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.durationSec,
  });
  return {
    tool: "autocannon",
    requestsPerSec: result.requests.average,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
  };
}
