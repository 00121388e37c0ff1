/**
 * The EventBus seam between the gateway, ingest and the control plane.
 * Implementations: KafkaEventBus (kafkajs) and EmbeddedEventBus (durable local log).
 *
 * Guarantees every implementation must keep:
 * - publish() resolves only once the records are durable (Kafka acks=all / fsync'd log).
 * - Records with the same key go to the same partition, in publish order.
 * - Delivery to a consumer group is at-least-once: a batch's offsets are committed only after
 *   its handler resolved; a handler that throws gets the same records again (after a backoff).
 */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** Kafka `cleanup.policy=compact` (control-plane topics); the embedded log compacts them too (never ages them out). */
  compacted?: boolean;
}

export interface OutgoingRecord {
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface BusMessage {
  topic: string;
  partition: number;
  /** Offset within the partition, as a decimal string (Kafka offsets are int64). */
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Milliseconds since epoch at which the record was appended. */
  timestamp: number;
}

export interface MessageBatch {
  topic: string;
  partition: number;
  messages: BusMessage[];
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. */
  fromBeginning: boolean;
  /**
   * Called with records of one partition, in offset order. Offsets are committed after it resolves.
   * Never called concurrently for the same partition (unless `maxBatchesInFlight` > 1); may be for
   * different partitions.
   */
  handleBatch: (batch: MessageBatch) => Promise<void>;
  /**
   * How long an idle consumer waits before it looks for new records again, overriding the bus
   * default for this subscription (Kafka: the fetch's max wait; embedded log: the poll for appends
   * by another process — in-process appends wake it at once). The control plane keeps it short so
   * a revoked key or disabled virtual key reaches every replica well within a second.
   */
  maxWaitTimeMs?: number;
  /**
   * Most records / bytes per handleBatch call, overriding the bus default for this subscription
   * (embedded log: 500 records, 4 MiB; Kafka: bytes per partition per fetch). Ingest asks for one
   * insert's worth: a ClickHouse insert costs tens of ms whatever its size.
   */
  maxBatchRecords?: number;
  maxBatchBytes?: number;
  /**
   * Embedded log only (Kafka ignores it): how many batches of one partition may be in their handlers
   * at once (default 1). With 2, batch n+1 is handed over while batch n's handler still waits (ingest
   * decodes the next batch while the engine inserts the last). Still: handlers start in offset order,
   * an offset is committed only after its own handler and every earlier one resolved, and a failure
   * redelivers from the first failed batch once every batch in flight has settled — so a later batch
   * whose handler succeeded is delivered again (handlers are idempotent, as redelivery requires).
   */
  maxBatchesInFlight?: number;
}

export interface Subscription {
  /** Stops fetching, waits for in-flight handlers, leaves the group. */
  stop(): Promise<void>;
}

export interface PublishOptions {
  written?: boolean;
}

export interface EventBus {
  readonly kind: "kafka" | "embedded";
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /**
   * Resolves once the records are durable (see the guarantees above). `{ written: true }` lets the
   * embedded log resolve once the records are written to its files — they then survive the process
   * being killed, and a power loss once the fsync that follows right after is done (~1 ms); Kafka
   * ignores it (acks=all either way).
   */
  publish(topic: string, records: readonly OutgoingRecord[], options?: PublishOptions): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Committed offset (next offset to read) per partition for a group, for lag checks and tests. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  /** End offset (next offset to be written) per partition. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  close(): Promise<void>;
}
