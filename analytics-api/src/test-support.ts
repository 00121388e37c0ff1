import type { RequestEvent } from "@switchyard/events";
import { storeRequestEvents } from "@switchyard/ingest/testing";
import { type ApiKeyRecord, createLogger, KeyStore, runMigrations, sha256Hex } from "@switchyard/platform";
import { openTestClickHouse, type TestClickHouse } from "@switchyard/platform/testing";
import type { FastifyInstance } from "fastify";
import { buildAnalyticsApp } from "./app.ts";

/** Raw keys the tests present; the store only ever sees their hashes. */
export const TEST_KEYS = {
  acme: "sk-test-acme",
  globex: "sk-test-globex",
  admin: "sk-test-admin",
  revoked: "sk-test-revoked",
  /** An acme key created with a scope list that lacks analytics.read. */
  completionsOnly: "sk-test-completions-only",
} as const;

export function testKeyStore(): KeyStore {
  const records: ApiKeyRecord[] = [
    { id: "k-acme", tenant_id: "acme", key_sha256: sha256Hex(TEST_KEYS.acme), role: "tenant", revoked: false },
    { id: "k-globex", tenant_id: "globex", key_sha256: sha256Hex(TEST_KEYS.globex), role: "tenant", revoked: false },
    { id: "k-admin", tenant_id: "ops", key_sha256: sha256Hex(TEST_KEYS.admin), role: "admin", revoked: false },
    { id: "k-old", tenant_id: "acme", key_sha256: sha256Hex(TEST_KEYS.revoked), role: "tenant", revoked: true },
    {
      id: "k-completions",
      tenant_id: "acme",
      key_sha256: sha256Hex(TEST_KEYS.completionsOnly),
      role: "tenant",
      revoked: false,
      scopes: ["completions"],
    },
  ];
  return new KeyStore(records, "default");
}

export const silentLogger = () => createLogger({ level: "silent", name: "analytics-api-test" });

/**
 * A fresh embedded store, migrated, holding `events`, and the analytics API over it with the test keys
 * (`now` fixes the clock the API's default windows use). The caller closes `app` and disposes `db`.
 */
export async function analyticsOver(
  events: readonly RequestEvent[],
  now?: Date,
): Promise<{ db: TestClickHouse; app: FastifyInstance }> {
  const db = await openTestClickHouse();
  await runMigrations(db.clickhouse.client);
  await storeRequestEvents(db.clickhouse.client, [...events]);
  const app = buildAnalyticsApp({
    clickhouse: db.clickhouse,
    keyStore: testKeyStore(),
    logger: silentLogger(),
    ...(now ? { now: () => now } : {}),
  });
  return { db, app };
}
