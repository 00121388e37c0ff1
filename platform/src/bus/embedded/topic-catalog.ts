import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { syncDirectory, writeFileAtomic } from "../durable-file.ts";

/** `<dataDir>/<topic>/topic.json`: what ensureTopics() decided for a topic. */
export interface TopicMeta {
  partitions: number;
  compacted: boolean;
}

/**
 * Kafka's legal topic characters. A leading dot is refused as well: dot-names are reserved for
 * the log's own files (.groups, .writer.lock) in the data dir.
 */
const TOPIC_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,248}$/;

export function assertTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic)) throw new Error(`invalid topic name ${JSON.stringify(topic)}`);
}

export function topicDir(dataDir: string, topic: string): string {
  return join(dataDir, topic);
}

export function partitionDir(dataDir: string, topic: string, partition: number): string {
  return join(dataDir, topic, String(partition));
}

export async function readTopicMeta(dataDir: string, topic: string): Promise<TopicMeta | null> {
  assertTopicName(topic);
  try {
    const meta = JSON.parse(await readFile(join(topicDir(dataDir, topic), "topic.json"), "utf8")) as TopicMeta;
    if (!Number.isInteger(meta.partitions) || meta.partitions < 1) throw new Error(`${topic}/topic.json is invalid`);
    return meta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Creates the topic's directories and metadata durably (every new directory entry fsync'd). */
export async function createTopic(dataDir: string, topic: string, meta: TopicMeta): Promise<void> {
  const dir = topicDir(dataDir, topic);
  await mkdir(dir, { recursive: true });
  for (let partition = 0; partition < meta.partitions; partition += 1) {
    await mkdir(partitionDir(dataDir, topic, partition), { recursive: true });
  }
  await syncDirectory(dir);
  await writeFileAtomic(join(dir, "topic.json"), JSON.stringify(meta));
  await syncDirectory(dataDir);
}
