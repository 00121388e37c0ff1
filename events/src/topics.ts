/** Kafka / embedded-log topic names. Versioned: a breaking schema change gets a new topic. */
export const Topics = {
  requests: "llm.requests.v1",
  feedback: "llm.feedback.v1",
  /** Budget alert thresholds crossed (gateway/src/limits); once per limit and period. */
  limitAlerts: "llm.limit-alerts.v1",
  deadLetters: "llm.dlq.v1",
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];
