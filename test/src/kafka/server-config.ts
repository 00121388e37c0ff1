/** Ports a single-node KRaft broker listens on; kept across restarts so clients can reconnect. */
export interface BrokerPorts {
  client: number;
  controller: number;
}

/**
 * server.properties for a single-node KRaft cluster (broker and controller in one JVM) sized
 * for tests: replication factors 1, no rebalance delay, tiny internal topics, few threads.
 */
export function serverProperties(ports: BrokerPorts, logDir: string): string {
  const props: Record<string, string | number | boolean> = {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.voters": `1@127.0.0.1:${ports.controller}`,
    listeners: `PLAINTEXT://127.0.0.1:${ports.client},CONTROLLER://127.0.0.1:${ports.controller}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${ports.client}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": logDir,
    "auto.create.topics.enable": false,
    "num.partitions": 1,
    "default.replication.factor": 1,
    "min.insync.replicas": 1,
    "offsets.topic.replication.factor": 1,
    // The consumer-offsets topic is created on the first group join; fewer partitions = faster.
    "offsets.topic.num.partitions": 3,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "transaction.state.log.num.partitions": 1,
    "group.initial.rebalance.delay.ms": 0,
    // Lets crash tests use short consumer sessions, so a SIGKILLed member is evicted quickly.
    "group.min.session.timeout.ms": 1000,
    // After kill(), the restarted broker waits for its previous registration's session to expire.
    "broker.session.timeout.ms": 2000,
    "broker.heartbeat.interval.ms": 500,
    // Two cores on CI: keep the broker's thread pools and heap footprint small.
    "num.network.threads": 2,
    "num.io.threads": 2,
    "background.threads": 2,
    "num.recovery.threads.per.data.dir": 1,
    "log.cleaner.threads": 1,
    "log.cleaner.dedupe.buffer.size": 8 * 1024 * 1024,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n")}\n`;
}

/** Broker logs at WARN only (into the broker's own log file), plus the one "started" line. */
export const LOG4J_PROPERTIES = `log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
`;
