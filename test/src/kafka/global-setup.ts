import type { TestProject } from "vitest/node";
import { KafkaBroker } from "./broker.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Bootstrap servers ("host:port[,host:port]") of the Kafka broker the tests run against. */
    kafkaBrokers: string;
  }
}

/**
 * Starts one real Kafka broker for the whole test run and hands its address to tests via
 * inject("kafkaBrokers"). With KAFKA_BROKERS set, that external cluster is used instead.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.KAFKA_BROKERS;
  if (external) {
    project.provide("kafkaBrokers", external);
    return undefined;
  }
  const broker = new KafkaBroker();
  await broker.start();
  project.provide("kafkaBrokers", broker.brokers);
  return () => broker.destroy();
}
