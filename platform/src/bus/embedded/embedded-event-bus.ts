import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../logger.ts";
import { type BackoffPolicy, DEFAULT_BACKOFF } from "../backoff.ts";
import type {
  EventBus,
  OutgoingRecord,
  PublishOptions,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from "../event-bus.ts";
import { startEmbeddedSubscription } from "./embedded-subscription.ts";
import { GroupCommitWriter, type OpenTopic } from "./group-commit-writer.ts";
import { GroupOffsets } from "./group-offsets.ts";
import { applyRetention, type RetentionReport } from "./log-retention.ts";
import { PartitionLog } from "./partition-log.ts";
import { DEFAULT_RETENTION, type RetentionPolicy } from "./retention-policy.ts";
import { assertTopicName, createTopic, partitionDir, readTopicMeta } from "./topic-catalog.ts";
import { WriterLock } from "./writer-lock.ts";

export interface EmbeddedEventBusOptions {
  /** Root of the log: `<dataDir>/<topic>/<partition>/<baseOffset>.log`, `.groups/`, `.writer.lock`. */
  dataDir: string;
  logger: Logger;
  /**
   * "read-write" (default) holds the data dir's writer lock: one such process per dir.
   * "read-only" consumes (and commits its group's offsets) next to a running writer, seeing
   * the writer's appends through the poll fallback.
   */
  access?: "read-write" | "read-only";
  /** Segment files roll at this size. Default 64 MiB. */
  segmentBytes?: number;
  /** Most records handed to one handleBatch call. Default 500. */
  maxBatchRecords?: number;
  /** Most bytes read for one batch (at least one record is always delivered). Default 4 MiB. */
  maxBatchBytes?: number;
  /** How often an idle consumer looks for appends made by another process. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Delay between redeliveries of a batch whose handler failed. */
  retryBackoff?: BackoffPolicy;
  /** What the writer deletes and when (README "Retention"). Default DEFAULT_RETENTION. */
  retention?: RetentionPolicy;
  /**
   * Written-only publishes (PublishOptions.written: the gateway's hand-off) are fdatasync'd within
   * this many ms, together: the power-loss window. Default 10; 0 = each round at once.
   */
  fsyncIntervalMs?: number;
  /** Clock for retention ages (tests). Default Date.now. */
  now?: () => number;
}

export interface EmbeddedEventBusStats {
  /** Write+fsync rounds so far; far below recordsAppended when publishes are group-committed. */
  appendRounds: number;
  recordsAppended: number;
}

/**
 * EventBus over a durable local append-only log (see README.md in this folder's parent for the
 * file format and fsync policy). Construct with `await EmbeddedEventBus.open({ dataDir, logger })`.
 */
export class EmbeddedEventBus implements EventBus {
  readonly kind = "embedded" as const;
  private readonly options: EmbeddedEventBusOptions;
  private readonly lock: WriterLock | null;
  private readonly writer: GroupCommitWriter;
  private readonly topics = new Map<string, Promise<OpenTopic>>();
  private readonly groups = new Map<string, Promise<GroupOffsets>>();
  /** `${groupId}\0${topic}` pairs with a live subscription: the log has no group coordinator. */
  private readonly members = new Set<string>();
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;
  private retentionTimer: NodeJS.Timeout | null = null;
  private retentionRun: Promise<RetentionReport> | null = null;

  private constructor(options: EmbeddedEventBusOptions, lock: WriterLock | null) {
    this.options = options;
    this.lock = lock;
    this.writer = new GroupCommitWriter(options.fsyncIntervalMs ?? 10);
    if (lock) {
      this.retentionTimer = setInterval(() => {
        this.enforceRetention().catch((error: unknown) => {
          options.logger.error({ err: error }, "embedded log: retention pass failed; retrying at the next interval");
        });
      }, this.retention.checkIntervalMs);
      // Housekeeping never keeps the process alive.
      this.retentionTimer.unref();
    }
  }

  private get retention(): RetentionPolicy {
    return this.options.retention ?? DEFAULT_RETENTION;
  }

  /**
   * One retention pass now (the writer also runs one every checkIntervalMs): deletes what every
   * live group has read and the policy lets go, compacts compacted topics. One pass at a time.
   */
  enforceRetention(): Promise<RetentionReport> {
    if (!this.writable) return Promise.reject(new Error("retention is the writer's job (read-only embedded log)"));
    this.retentionRun ??= applyRetention({
      dataDir: this.options.dataDir,
      policy: this.retention,
      now: (this.options.now ?? Date.now)(),
      liveMembers: this.members,
      openTopic: (name) => this.openTopic(name),
      writer: this.writer,
      logger: this.options.logger,
    })
      .then((report) => {
        // A later subscribe of an expired group must start afresh, not from offsets cached here.
        for (const groupId of report.expiredGroups) this.groups.delete(groupId);
        return report;
      })
      .finally(() => {
        this.retentionRun = null;
      });
    return this.retentionRun;
  }

  static async open(options: EmbeddedEventBusOptions): Promise<EmbeddedEventBus> {
    const writable = (options.access ?? "read-write") === "read-write";
    if (writable) await mkdir(options.dataDir, { recursive: true });
    const lock = writable ? await WriterLock.acquire(join(options.dataDir, ".writer.lock")) : null;
    return new EmbeddedEventBus(options, lock);
  }

  private get writable(): boolean {
    return this.lock !== null;
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    for (const spec of topics) {
      assertTopicName(spec.name);
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new Error(`topic ${spec.name}: partitions must be a positive integer`);
      }
      const existing = await readTopicMeta(this.options.dataDir, spec.name);
      if (existing) {
        if (existing.partitions !== spec.partitions) {
          // Like Kafka's createTopics on an existing topic: keep it. Changing the count would move keys.
          this.options.logger.warn(
            { topic: spec.name, existing: existing.partitions, requested: spec.partitions },
            "embedded log: topic exists with a different partition count; keeping it",
          );
        }
        continue;
      }
      if (!this.writable) throw new Error(`topic ${spec.name} does not exist (read-only embedded log)`);
      await createTopic(this.options.dataDir, spec.name, {
        partitions: spec.partitions,
        compacted: spec.compacted ?? false,
      });
    }
  }

  async publish(topic: string, records: readonly OutgoingRecord[], options?: PublishOptions): Promise<void> {
    if (this.closed) throw new Error("embedded event bus is closed");
    if (!this.writable) throw new Error("embedded event bus is read-only");
    if (records.length === 0) return;
    await this.writer.append(await this.openTopic(topic), records, options?.written === true);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error("embedded event bus is closed");
    const topics = await Promise.all(options.topics.map((t) => this.openTopic(t)));
    // A reader learns here about head segments the writer deleted, so a group with no committed
    // offset starts at the earliest retained offset rather than at a deleted one.
    await Promise.all(topics.flatMap((t) => t.partitions.map((log) => log.refresh())));
    const memberKeys = options.topics.map((t) => `${options.groupId}\0${t}`);
    const taken = memberKeys.find((k) => this.members.has(k));
    if (taken) {
      throw new Error(`group ${options.groupId} already consumes ${taken.split("\0")[1]} in this process`);
    }
    for (const key of memberKeys) this.members.add(key);
    // A retention pass that began before this member existed may still delete where it would
    // start: let it finish (later passes see the member and keep its topic).
    await this.retentionRun?.catch(() => undefined);
    const subscription = startEmbeddedSubscription({
      groupId: options.groupId,
      topics,
      offsets: await this.groupOffsets(options.groupId),
      fromBeginning: options.fromBeginning,
      handleBatch: options.handleBatch,
      maxBatchRecords: options.maxBatchRecords ?? this.options.maxBatchRecords ?? 500,
      maxBatchBytes: options.maxBatchBytes ?? this.options.maxBatchBytes ?? 4 * 1024 * 1024,
      maxBatchesInFlight: Math.max(1, Math.floor(options.maxBatchesInFlight ?? 1)),
      pollIntervalMs: options.maxWaitTimeMs ?? this.options.pollIntervalMs ?? 1000,
      backoff: this.options.retryBackoff ?? DEFAULT_BACKOFF,
      logger: this.options.logger,
      onStopped: () => {
        for (const key of memberKeys) this.members.delete(key);
        this.subscriptions.delete(subscription);
      },
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const offsets = (await GroupOffsets.read(this.options.dataDir, groupId))[topic] ?? {};
    return new Map(Object.entries(offsets).map(([partition, next]) => [Number(partition), String(next)]));
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const { partitions } = await this.openTopic(topic);
    await Promise.all(partitions.map((log) => log.refresh()));
    return new Map(partitions.map((log, partition) => [partition, String(log.endOffset)]));
  }

  /**
   * First offset still stored per partition (0 until retention deleted a head). Replay compares
   * it with 0 to know whether it can rebuild everything or only what is retained.
   */
  async startOffsets(topic: string): Promise<Map<number, string>> {
    const { partitions } = await this.openTopic(topic);
    await Promise.all(partitions.map((log) => log.refresh()));
    return new Map(partitions.map((log, partition) => [partition, String(log.startOffset)]));
  }

  stats(): EmbeddedEventBusStats {
    return { appendRounds: this.writer.rounds, recordsAppended: this.writer.records };
  }

  /** Stops subscriptions (waiting for in-flight handlers), finishes pending appends, releases the dir. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.retentionRun?.catch(() => undefined);
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.writer.idle();
    const topics = await Promise.allSettled(this.topics.values());
    for (const topic of topics) {
      if (topic.status === "fulfilled") await Promise.all(topic.value.partitions.map((log) => log.close()));
    }
    await this.lock?.release();
  }

  private openTopic(name: string): Promise<OpenTopic> {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = this.loadTopic(name);
      this.topics.set(name, topic);
      // A topic that does not exist yet may be created later by ensureTopics: do not cache the failure.
      topic.catch(() => this.topics.delete(name));
    }
    return topic;
  }

  private async loadTopic(name: string): Promise<OpenTopic> {
    const meta = await readTopicMeta(this.options.dataDir, name);
    if (!meta) throw new Error(`unknown topic ${name}: call ensureTopics() first`);
    const partitions = await Promise.all(
      Array.from({ length: meta.partitions }, (_, partition) =>
        PartitionLog.open({
          dir: partitionDir(this.options.dataDir, name, partition),
          segmentBytes: this.options.segmentBytes ?? 64 * 1024 * 1024,
          writable: this.writable,
          logger: this.options.logger,
        }),
      ),
    );
    return { name, compacted: meta.compacted, partitions, roundRobin: 0 };
  }

  private groupOffsets(groupId: string): Promise<GroupOffsets> {
    let group = this.groups.get(groupId);
    if (!group) {
      group = GroupOffsets.load(this.options.dataDir, groupId);
      this.groups.set(groupId, group);
    }
    return group;
  }
}
