import { type ApiKeyRecord, createLogger, KeyStore, sha256Hex } from "@switchyard/platform";

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
