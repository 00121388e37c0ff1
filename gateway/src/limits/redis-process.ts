import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";

/**
 * Test-only: a redis-server of the test's own on a free port, so a test can kill it (the machine's
 * shared Redis on 6379 is never stopped).
 */
export class OwnRedis {
  readonly port: number;
  private child: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.launch();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async launch(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    this.child = spawn("redis-server", args, { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis(this.port, "127.0.0.1", {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on("error", () => undefined);
      try {
        await client.connect();
        if ((await client.ping()) === "PONG") return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      } finally {
        client.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Lua script calls (EVAL + EVALSHA) the server has answered so far (a bench counts round trips). */
  async scriptCalls(): Promise<number> {
    const client = new Redis(this.port, "127.0.0.1", { maxRetriesPerRequest: 0 });
    try {
      const info = await client.info("commandstats");
      let calls = 0;
      for (const m of info.matchAll(/cmdstat_(evalsha|eval):calls=(\d+)/g)) calls += Number(m[2]);
      return calls;
    } finally {
      client.disconnect();
    }
  }

  /** Drops every key, as a Redis restarted without persistence would have. */
  async flushAll(): Promise<void> {
    const client = new Redis(this.port, "127.0.0.1", { maxRetriesPerRequest: 0 });
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
  }

  /** SIGKILL: the server is gone at once, as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.child = null;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
