import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A free TCP port on loopback, as the OS hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * A redis-server of this test's own (the machine's shared one on 6379 is never stopped), on a fixed
 * port so it can be killed and started again at the same address.
 */
export class RedisProcess {
  readonly port: number;
  private child: ChildProcess | null = null;
  constructor(port: number) {
    this.port = port;
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    await pollUntil(() => this.ping(), "redis-server to accept connections");
  }
  private ping(): Promise<boolean> {
    return new Promise((resolve) =>
      execFile("redis-cli", ["-p", String(this.port), "ping"], (error, stdout) =>
        resolve(!error && stdout.trim() === "PONG"),
      ),
    );
  }
  /** SIGKILL: the server vanishes mid-conversation, as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

/** One redis-cli command against the server on `port`; resolves with its output. */
export function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("redis-cli", ["-p", String(port), ...args], (error, stdout) =>
      error ? reject(error) : resolve(stdout.trim()),
    ),
  );
}

/** Polls `check` until it holds, failing after `timeoutMs` (never a fixed sleep). */
export async function pollUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
