import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The load average over the CPU count: above it, a figure measures the neighbours as well. */
export function loadLine(): string {
  return `${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} on ${availableParallelism()} CPUs`;
}

/**
 * Which machine a bench ran on: these boxes change CPU model from day to day (a 2 GHz AVX2-only one ran the
 * fake upstream at 90 µs/req where others took 25), so absolute figures compare only within one machine.
 */
export function machineLine(): string {
  const [cpu] = cpus();
  let info = "";
  try {
    info = readFileSync("/proc/cpuinfo", "utf8").split("\n\n")[0] ?? "";
  } catch {
    // Not Linux: the model name alone.
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(info)?.[1]?.trim();
  const flags = new Set(field("flags")?.split(" ") ?? []);
  const vector = ["avx512f", "avx512_vnni", "avx_vnni", "avx2"].filter((f) => flags.has(f)).join(" ") || "no avx2";
  const family = field("cpu family") ? ` (family ${field("cpu family")} model ${field("model")})` : "";
  const mhz = Math.round(Number(field("cpu MHz") ?? cpu?.speed ?? 0));
  return `${cpu?.model.trim() ?? "unknown CPU"}${family} at ${mhz} MHz, ${vector}; load average ${loadLine()}`;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * CPU sets that keep the gateway under test apart from the processes that drive and serve it
 * (load generator, fake upstream, OTLP receiver): the gateway gets the last CPU, the rest share the
 * others. On a small shared box this measures the gateway's own cost instead of how the scheduler
 * interleaves five busy processes. null when there is one CPU, no `taskset`, or BENCH_PIN=0.
 */
export function benchCpuSets(): { gateway: string; rest: string } | null {
  const cpus = availableParallelism();
  if (cpus < 2 || process.env.BENCH_PIN === "0") return null;
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore" });
  } catch {
    return null;
  }
  return { gateway: String(cpus - 1), rest: cpus === 2 ? "0" : `0-${cpus - 2}` };
}

/** `command args` on the given CPUs (taskset -c), or as is. */
export function pinned(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpus ? ["taskset", ["-c", cpus, command, ...args]] : [command, args];
}

/** Children a bench started and has not seen exit: stopped when the bench itself ends or is stopped. */
const liveChildren = new Set<ChildProcess>();
let reaping = false;

/**
 * A bench stopped by Ctrl-C, `kill` or `timeout` would otherwise leave its stack or fake upstream
 * running (holding a port and a CPU, and skewing the next run). Installed on the first child, so
 * importing this module does nothing.
 */
function reapChildrenOnExit(): void {
  if (reaping) return;
  reaping = true;
  process.once("exit", () => {
    for (const child of liveChildren) child.kill("SIGTERM");
  });
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.once(signal, () => process.exit(code));
  }
}

function tracked(child: ChildProcess): ChildProcess {
  reapChildrenOnExit();
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
  return child;
}

/** Starts `node <script>` (on `cpus` when given) and resolves with the first stdout line that `ready` accepts. */
export function startNode(
  script: string,
  env: Record<string, string>,
  ready: (line: string) => boolean,
  timeoutMs = 30_000,
  cpus?: string,
): Promise<{ child: ChildProcess; line: string }> {
  const [command, args] = pinned(cpus, process.execPath, [script]);
  const child = tracked(
    spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready within ${timeoutMs} ms`)), timeoutMs);
    let buffer = "";
    child.stdout?.on("data", (data: Buffer) => {
      buffer += data.toString();
      for (const line of buffer.split("\n").slice(0, -1)) {
        if (ready(line)) {
          clearTimeout(timer);
          child.stdout?.removeAllListeners("data");
          child.stdout?.resume();
          resolve({ child, line });
          return;
        }
      }
      buffer = buffer.slice(buffer.lastIndexOf("\n") + 1);
    });
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** The fake OpenAI upstream (test/bench/upstream-server.ts); its first stdout line carries its base URL. */
export async function startUpstream(root: string, cpus?: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const script = join(root, "test/bench/upstream-server.ts");
  const { child, line } = await startNode(script, {}, (l) => l.startsWith("{"), 30_000, cpus);
  return { child, baseUrl: (JSON.parse(line) as { baseUrl: string }).baseUrl };
}

/** Headers that send an OpenAI chat request through the gateway to `baseUrl` (a custom host; the key is fake). */
/** A checkout argument of the comparison benches: `<path>[,NAME=value…]`, the env given to that checkout's gateway. */
export function checkoutArm(arg: string): { root: string; env: Record<string, string> } {
  const [path = ".", ...settings] = arg.split(",");
  const env = Object.fromEntries(settings.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  return { root: resolve(path), env };
}

export function viaGatewayHeaders(baseUrl: string) {
  return {
    "content-type": "application/json",
    authorization: "Bearer sk-bench-not-a-real-key",
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": baseUrl,
  };
}

export interface BenchStack {
  child: ChildProcess;
  gatewayPort: number;
  analyticsPort: number;
  /** Stops the process and removes its data dir. */
  stop(): Promise<void>;
}

/**
 * `npm start`'s process (stack/src/main.ts) on free ports with a fresh temp data dir, resolved once
 * it prints "Switchyard is running". `env` is added to (and may override) those three and LOG_LEVEL.
 */
export async function startStack(root: string, env: Record<string, string>): Promise<BenchStack> {
  const dataDir = await mkdtemp(join(tmpdir(), "sy-bench-stack-"));
  const [gatewayPort, analyticsPort] = [await freePort(), await freePort()];
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  try {
    const { child } = await startNode(
      join(root, "stack/src/main.ts"),
      {
        GATEWAY_PORT: String(gatewayPort),
        ANALYTICS_PORT: String(analyticsPort),
        DATA_DIR: dataDir,
        LOG_LEVEL: "info",
        ...env,
      },
      (l) => l.startsWith("Switchyard is running"),
      60_000,
    );
    const stop = async () => {
      await stopChild(child);
      await removeDir();
    };
    return { child, gatewayPort, analyticsPort, stop };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

export interface BenchGateway {
  child: ChildProcess;
  /** Its chat completions URL. */
  url: string;
  /** Stops the process (a second call is a no-op) and removes its data dir. */
  stop(): Promise<void>;
}

/**
 * A gateway (`script`, default gateway/src/main.ts of `root`) on a free port with a fresh temp data
 * dir and LOG_LEVEL info, on `cpus` when given, resolved once it logs "gateway listening".
 */
export async function startGateway(
  root: string,
  env: Record<string, string>,
  options: { script?: string; cpus?: string } = {},
): Promise<BenchGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), "sy-bench-gateway-"));
  const port = await freePort();
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  try {
    const { child } = await startNode(
      join(root, options.script ?? "gateway/src/main.ts"),
      { GATEWAY_PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "info", ...env },
      (l) => l.includes("gateway listening"),
      60_000,
      options.cpus,
    );
    const stop = async () => {
      await stopChild(child);
      await removeDir();
    };
    return { child, url: `http://127.0.0.1:${port}/v1/chat/completions`, stop };
  } catch (error) {
    await removeDir();
    throw error;
  }
}
