import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyKafkajsTimerFix } from "@switchyard/platform";
import { Kafka, logLevel } from "kafkajs";
import { ensureKafkaJars } from "./kafka-jars.ts";
import { type BrokerPorts, LOG4J_PROPERTIES, serverProperties } from "./server-config.ts";

export interface KafkaBrokerOptions {
  /** How long start() may take before it fails (jar download not included). */
  startTimeoutMs?: number;
  /** JVM max heap, e.g. "512m". */
  heap?: string;
}

function freePort(): Promise<number> {
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
 * A real single-node Apache Kafka (KRaft) broker in a child JVM, for tests. Data lives in a temp
 * dir; stop() + start() restarts it on the same ports and data (broker outage tests).
 */
export class KafkaBroker {
  private readonly startTimeoutMs: number;
  private readonly heap: string;
  private dir: string | null = null;
  private libsDir = "";
  private ports: BrokerPorts | null = null;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = () => this.child?.kill("SIGKILL");

  constructor(options: KafkaBrokerOptions = {}) {
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.heap = options.heap ?? "512m";
  }

  /** Bootstrap address "127.0.0.1:PORT"; available once start() was called. */
  get brokers(): string {
    if (!this.ports) throw new Error("KafkaBroker has not been started");
    return `127.0.0.1:${this.ports.client}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** First call: resolve jars, pick ports, format storage. Later calls: restart on the same data. */
  async start(): Promise<void> {
    if (this.child) return;
    if (!this.dir) await this.prepare();
    const dir = this.dir as string;
    const logFd = openSync(join(dir, "broker.log"), "a");
    const child = spawn("java", [...this.jvmArgs(), "kafka.Kafka", join(dir, "server.properties")], {
      stdio: ["ignore", logFd, logFd],
    });
    closeSync(logFd);
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
    });
    process.once("exit", this.killOnExit);
    try {
      await this.waitUntilReady();
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** Graceful shutdown (SIGTERM); resolves once the JVM exited. Data and ports are kept. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  /** Hard crash (SIGKILL); resolves once the JVM exited. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** Stops the broker and deletes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exited;
    process.removeListener("exit", this.killOnExit);
  }

  private jvmArgs(): string[] {
    const dir = this.dir as string;
    return [
      `-Xmx${this.heap}`,
      // C1 only + serial GC: the broker starts in ~1.5 s and leaves CPU for the tests.
      "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC",
      "-Djava.awt.headless=true",
      `-Dlog4j.configuration=file:${join(dir, "log4j.properties")}`,
      `-Dkafka.logs.dir=${dir}`,
      "-cp",
      join(this.libsDir, "*"),
    ];
  }

  private async prepare(): Promise<void> {
    this.libsDir = await ensureKafkaJars();
    const dir = await mkdtemp(join(tmpdir(), "switchyard-kafka-"));
    try {
      this.ports = { client: await freePort(), controller: await freePort() };
      await writeFile(join(dir, "server.properties"), serverProperties(this.ports, join(dir, "data")));
      await writeFile(join(dir, "log4j.properties"), LOG4J_PROPERTIES);
      this.dir = dir;
      await this.formatStorage();
    } catch (error) {
      // Never leave a half-prepared dir behind: the next start() must format again.
      this.dir = null;
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  private formatStorage(): Promise<void> {
    const dir = this.dir as string;
    // An id starting with "-" would be parsed by StorageTool as an option (1 in 32 runs failed so).
    let clusterId = randomBytes(16).toString("base64url");
    while (clusterId.startsWith("-")) clusterId = randomBytes(16).toString("base64url");
    return new Promise<void>((resolve, reject) => {
      const format = spawn(
        "java",
        [...this.jvmArgs(), "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", join(dir, "server.properties")],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      format.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      format.once("error", reject);
      format.once("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`StorageTool format failed: ${stderr}`)),
      );
    });
  }

  /** Polls the broker's metadata until it lists itself, the JVM dies, or the deadline passes. */
  private async waitUntilReady(): Promise<void> {
    applyKafkajsTimerFix();
    const deadline = Date.now() + this.startTimeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    const probe = new Kafka({
      clientId: "broker-readiness-probe",
      brokers: [this.brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 500,
      requestTimeout: 2000,
      retry: { retries: 0 },
    }).admin();
    try {
      while (Date.now() < deadline && !exited) {
        try {
          await probe.connect();
          const cluster = await probe.describeCluster();
          if (cluster.brokers.length > 0) return;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
    throw new Error(`Kafka broker ${exited ? "exited" : "not ready in time"}; log:\n${await this.logTail()}`);
  }

  private async logTail(): Promise<string> {
    const path = join(this.dir as string, "broker.log");
    if (!existsSync(path)) return "(no log)";
    return (await readFile(path, "utf8")).split("\n").slice(-30).join("\n");
  }
}
