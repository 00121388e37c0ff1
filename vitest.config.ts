import { defineConfig } from "vitest/config";

// One run for every workspace. A real single-node Kafka broker is started once by the
// global setup (test/src/kafka/global-setup.ts) and its address is provided to tests
// via inject("kafkaBrokers").
export default defineConfig({
  test: {
    include: ["*/src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    globalSetup: ["test/src/kafka/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
