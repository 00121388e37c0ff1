import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createLogger, parseEnv } from "@switchyard/platform";
import { pollUntil } from "@switchyard/platform/testing";

/** The one polling helper (platform/src/testing), re-exported for the cross-service tests. */
export { pollUntil };

import { type RunningStack, StackEnv, stackConfigFrom, startStack } from "@switchyard/stack";

export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
export const STACK_MAIN = join(REPO_ROOT, "stack/src/main.ts");

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), `switchyard-${prefix}-`));

/** A unique suffix so tests sharing one broker never share a tenant or a consumer group. */
export const uniqueId = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}`;

/** Starts the stack in this process with env-style overrides, exactly as `npm start` would parse them. */
export async function startTestStack(env: Record<string, string>): Promise<RunningStack> {
  const parsed = parseEnv(StackEnv, { GATEWAY_PORT: "0", ANALYTICS_PORT: "0", LOG_LEVEL: "silent", ...env });
  return startStack(stackConfigFrom(parsed), createLogger({ name: "e2e", level: parsed.LOG_LEVEL }));
}

export interface StackProcess {
  child: ChildProcess;
  output(): string;
  /** The analytics API base URL from the start-up banner, when the process runs it. */
  analyticsUrl: string | null;
}

/** Runs `node stack/src/main.ts` as a child process and waits for its start-up banner. */
export async function spawnStack(env: Record<string, string>, timeoutMs = 60_000): Promise<StackProcess> {
  const child = spawn(process.execPath, [STACK_MAIN], {
    env: { ...process.env, GATEWAY_PORT: "0", ANALYTICS_PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  await pollUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`stack exited with ${child.exitCode}:\n${output}`);
      return output.includes("Switchyard is running") ? true : undefined;
    },
    "stack banner",
    timeoutMs,
  );
  const match = /analytics API\s+(http:\/\/\S+?)\/v1\//.exec(output);
  return { child, output: () => output, analyticsUrl: match?.[1] ?? null };
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  child.kill(signal);
  return exited;
}

export interface CostRow {
  key: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost_nano_usd: number;
}

export async function getJson<T>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as T };
}

/** Polls the costs endpoint until `accept` is satisfied by its rows. */
export function pollCosts(
  analyticsUrl: string,
  query: string,
  accept: (rows: CostRow[]) => boolean,
  timeoutMs = 20_000,
): Promise<CostRow[]> {
  return pollUntil(
    async () => {
      const { status, body } = await getJson<{ data: CostRow[] }>(`${analyticsUrl}/v1/analytics/costs?${query}`);
      return status === 200 && accept(body.data) ? body.data : undefined;
    },
    `costs ?${query}`,
    timeoutMs,
  );
}

export function chatBody(content: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content }], ...extra });
}
