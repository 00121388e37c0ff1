import type { ConnectionOptions } from "node:tls";
import { type Admin, CompressionTypes, Kafka, logLevel, Partitioners, type Producer, type SASLOptions } from "kafkajs";
import type { Logger } from "../../logger.ts";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, sleep } from "../backoff.ts";
import type { EventBus, OutgoingRecord, SubscribeOptions, Subscription, TopicSpec } from "../event-bus.ts";
import { startKafkaSubscription } from "./kafka-subscription.ts";
import { kafkajsLogCreator } from "./kafkajs-logger.ts";
import { applyKafkajsTimerFix } from "./kafkajs-timer-fix.ts";

export interface KafkaEventBusOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  ssl?: boolean | ConnectionOptions;
  sasl?: SASLOptions;
  /** Replication factor of topics created by ensureTopics(). Default 1. */
  replicationFactor?: number;
  /** TCP connect timeout per broker. Default 3000 ms. */
  connectionTimeoutMs?: number;
  /** Timeout of one Kafka request. Default 5000 ms. */
  requestTimeoutMs?: number;
  /** Producer retries before publish() gives up (the caller spools). Default 2. */
  producerRetries?: number;
  /** Hard upper bound on one publish() call, whatever kafkajs is doing. Default 10 000 ms. */
  publishTimeoutMs?: number;
  /** Consumer group session timeout. Default 30 000 ms. */
  sessionTimeoutMs?: number;
  /** Default 3000 ms. */
  heartbeatIntervalMs?: number;
  /** How long a fetch waits for data on an idle partition. Default 1000 ms. */
  maxWaitTimeMs?: number;
  /** Fetch size per partition, which bounds a batch. Default 1 MiB. */
  maxBatchBytes?: number;
  /** Partitions whose handlers may run at once in one subscription. Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Delay between redeliveries of a batch whose handler failed. */
  retryBackoff?: BackoffPolicy;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * EventBus over Apache Kafka via kafkajs. Construct with `new KafkaEventBus({ brokers, clientId,
 * logger })`; connections are opened lazily. The producer is idempotent, acks=all, gzip, and
 * fails fast (bounded retries and timeouts) so a caller can spool while the cluster is down; after
 * a failure it is rebuilt, so publishing resumes by itself once the brokers are back.
 */
export class KafkaEventBus implements EventBus {
  readonly kind = "kafka" as const;
  private readonly options: KafkaEventBusOptions;
  /** Admin and consumers: patient retries, they run in the background. */
  private readonly kafka: Kafka;
  /** The producer's own client: few retries and short timeouts, the caller is waiting. */
  private readonly producerKafka: Kafka;
  private producer: Promise<Producer> | null = null;
  private admin: Promise<Admin> | null = null;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  constructor(options: KafkaEventBusOptions) {
    applyKafkajsTimerFix();
    this.options = options;
    const common = {
      clientId: options.clientId,
      brokers: [...options.brokers],
      ssl: options.ssl,
      sasl: options.sasl,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 5000,
      logLevel: logLevel.WARN,
      logCreator: kafkajsLogCreator(options.logger),
    };
    this.kafka = new Kafka(common);
    const retries = options.producerRetries ?? 2;
    this.producerKafka = new Kafka({ ...common, retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 } });
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    const admin = await this.connectedAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    // Resolves false (no throw) when a concurrent creator won the race: already existing is fine.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: this.options.replicationFactor ?? 1,
        configEntries: t.compacted ? [{ name: "cleanup.policy", value: "compact" }] : [],
      })),
    });
    // kafkajs' own waitForLeaders retries LEADER_NOT_AVAILABLE only; right after a create, a KRaft
    // broker under load can also answer UNKNOWN_TOPIC_OR_PARTITION, which failed start-up. So wait
    // here, retrying every retriable answer until each new partition has a leader (~15 s at most).
    const names = missing.map((t) => t.name);
    await retryRetriable(async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const ready = topics.filter((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready.length < names.length) {
        throw Object.assign(new Error(`no leader yet for every partition of ${names.join(", ")}`), { retriable: true });
      }
    }, 12);
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new Error("kafka event bus is closed");
    if (records.length === 0) return;
    const attempt = this.connectedProducer().then((producer) =>
      producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      }),
    );
    try {
      await withTimeout(attempt, this.options.publishTimeoutMs ?? 10_000, `publish to ${topic}`);
    } catch (error) {
      attempt.catch(() => undefined);
      this.resetProducer();
      throw error;
    }
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) return Promise.reject(new Error("kafka event bus is closed"));
    const settings = {
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 3000,
      maxWaitTimeMs: options.maxWaitTimeMs ?? this.options.maxWaitTimeMs ?? 1000,
      maxBatchBytes: this.options.maxBatchBytes ?? 1024 * 1024,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      backoff: this.options.retryBackoff ?? DEFAULT_BACKOFF,
    };
    return startKafkaSubscription(this.kafka, options, settings, this.options.logger).then((subscription) => {
      const tracked: Subscription = {
        stop: async () => {
          this.subscriptions.delete(tracked);
          await subscription.stop();
        },
      };
      this.subscriptions.add(tracked);
      return tracked;
    });
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const admin = await this.connectedAdmin();
    const [result] = await retryRetriable(() => admin.fetchOffsets({ groupId, topics: [topic] }));
    const committed = (result?.partitions ?? []).filter((p) => BigInt(p.offset) >= 0n);
    return new Map(committed.map((p) => [p.partition, p.offset]));
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const admin = await this.connectedAdmin();
    const offsets = await retryRetriable(() => admin.fetchTopicOffsets(topic));
    return new Map(offsets.map((p) => [p.partition, p.high]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    const clients = [this.producer, this.admin];
    this.producer = null;
    this.admin = null;
    await Promise.all(clients.map((c) => c?.then((client) => client.disconnect()).catch(() => undefined)));
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.producerKafka.producer({
        idempotent: true,
        // One in-flight request per broker keeps idempotent sequence numbers in order.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: this.options.producerRetries ?? 2, initialRetryTime: 100, maxRetryTime: 1000 },
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      const connecting = producer.connect().then(() => producer);
      this.producer = connecting;
      connecting.catch(() => {
        if (this.producer === connecting) this.producer = null;
      });
    }
    return this.producer;
  }

  /** Drops the producer after a failure: the next publish connects afresh with a new producer id. */
  private resetProducer(): void {
    const old = this.producer;
    this.producer = null;
    old?.then((p) => p.disconnect()).catch(() => undefined);
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const connecting = admin.connect().then(() => admin);
      this.admin = connecting;
      connecting.catch(() => {
        if (this.admin === connecting) this.admin = null;
      });
    }
    return this.admin;
  }
}

/**
 * Admin reads can hit transient broker states (a group's coordinator still loading, a leader
 * moving) that kafkajs reports as retriable errors instead of retrying itself; retry those briefly.
 */
async function retryRetriable<T>(read: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable === true;
      if (!retriable || attempt >= attempts) throw error;
      await sleep(backoffDelay({ initialMs: 100, maxMs: 2000 }, attempt));
    }
  }
}
