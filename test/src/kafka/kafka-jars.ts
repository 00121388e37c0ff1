import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where Node 24 and the Kafka jars are cached between runs (shared with scripts/ensure-node). */
export function switchyardCacheDir(): string {
  return process.env.SWITCHYARD_CACHE ?? join(homedir(), ".cache", "switchyard");
}

const POM = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "kafka", "pom.xml");

/** A libs dir is complete once both the broker jar and the log4j binding are there. */
function hasKafkaJars(libsDir: string): boolean {
  if (!existsSync(libsDir)) return false;
  const jars = readdirSync(libsDir);
  return jars.some((j) => j.startsWith("kafka_2.13-")) && jars.some((j) => j.startsWith("slf4j-reload4j-"));
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code ?? signal}`));
    });
  });
}

/**
 * Returns the directory holding the Kafka broker's jars, resolving them from Maven Central on a
 * fresh machine. Maven writes into a scratch dir that is renamed into place, so an interrupted
 * download never looks like a complete one.
 */
export async function ensureKafkaJars(): Promise<string> {
  const libsDir = join(switchyardCacheDir(), "kafka-libs");
  if (hasKafkaJars(libsDir)) return libsDir;
  const scratch = `${libsDir}.partial-${process.pid}`;
  await mkdir(dirname(libsDir), { recursive: true });
  await rm(scratch, { recursive: true, force: true });
  await run("mvn", ["-q", "-B", "-f", POM, "dependency:copy-dependencies", `-DoutputDirectory=${scratch}`]);
  if (!hasKafkaJars(scratch)) throw new Error(`maven finished but ${scratch} lacks the kafka jars`);
  await rm(libsDir, { recursive: true, force: true });
  try {
    await rename(scratch, libsDir);
  } catch (error) {
    // Another process finished first: its copy is as good as ours.
    if (!hasKafkaJars(libsDir)) throw error;
    await rm(scratch, { recursive: true, force: true });
  }
  return libsDir;
}
