// The watched stack of console.test.ts: the embedded stack with a tenant key and an admin key (keys
// file), three chat requests of two users and a prompt with two versions, each run once (by carol),
// all ingested before the browser opens.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "@switchyard/platform";
import type { RunningStack } from "@switchyard/stack";
import { expect } from "vitest";
import { chatBody, pollUntil, startTestStack, tempDir } from "../e2e/support.ts";

export const ACME_KEY = "sk-console-acme";
export const ADMIN_KEY = "sk-console-admin";
const HOUR_MS = 3_600_000;

export interface Sent {
  user: string;
  model: string;
  trace: string;
}
export const SENT: Sent[] = [
  { user: "alice", model: "gpt-4o-mini", trace: "console-trace-alice-1" },
  { user: "alice", model: "claude-sonnet-4-5", trace: "console-trace-alice-2" },
  { user: "bob", model: "gpt-4o-mini", trace: "console-trace-bob-1" },
];

export interface WatchedStack {
  dataDir: string;
  stack: RunningStack;
  consoleUrl: string;
  /** The prompt template with two versions. */
  promptId: string;
  /** A custom range of six whole hours ending with the current one: the chart must show six points. */
  rangeQuery: string;
}

export async function startWatchedStack(): Promise<WatchedStack> {
  const dataDir = await tempDir("console-browser");
  const keysFile = join(dataDir, "keys.json");
  await writeFile(
    keysFile,
    JSON.stringify({
      keys: [
        { id: "k-acme", tenant_id: "acme", key_sha256: sha256Hex(ACME_KEY), role: "tenant" },
        { id: "k-admin", tenant_id: "ops", key_sha256: sha256Hex(ADMIN_KEY), role: "admin" },
      ],
    }),
  );
  const stack = await startTestStack({
    DATA_DIR: dataDir,
    INGEST_FLUSH_INTERVAL_MS: "50",
    SWITCHYARD_KEYS_FILE: keysFile,
  });
  const gatewayUrl = stack.gateway!.url;
  const analyticsUrl = stack.analytics!.url;
  const consoleUrl = `${analyticsUrl}/console`;
  for (const s of SENT) {
    const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-portkey-api-key": ACME_KEY,
        "x-portkey-provider": "mock",
        "x-portkey-trace-id": s.trace,
        "x-portkey-metadata": JSON.stringify({ _user: s.user, team: "search" }),
      },
      body: chatBody(`hello from ${s.user}`, { model: s.model }),
    });
    expect(response.status, await response.text()).toBe(200);
  }
  const gatewayHeaders = { "content-type": "application/json", "x-portkey-api-key": ACME_KEY };
  const created = await fetch(`${gatewayUrl}/v1/prompts`, {
    method: "POST",
    headers: gatewayHeaders,
    body: JSON.stringify({ name: "haiku", string: "A haiku about {{topic}}", model: "gpt-4o-mini" }),
  });
  expect(created.status).toBe(200);
  const promptId = ((await created.json()) as { id: string }).id;
  const updated = await fetch(`${gatewayUrl}/v1/prompts/${promptId}`, {
    method: "PUT",
    headers: gatewayHeaders,
    body: JSON.stringify({ string: "Two haiku about {{topic}}" }),
  });
  expect(updated.status).toBe(200);
  for (const version of ["1", "2"]) {
    const run = await fetch(`${gatewayUrl}/v1/prompts/${promptId}@${version}/completions`, {
      method: "POST",
      headers: { ...gatewayHeaders, "x-portkey-provider": "mock", "x-portkey-metadata": '{"_user":"carol"}' },
      body: JSON.stringify({ variables: { topic: "tides" } }),
    });
    expect(run.status, await run.text()).toBe(200);
  }
  await pollUntil(async () => {
    const response = await fetch(`${analyticsUrl}/v1/analytics/costs?group_by=user`, {
      headers: { authorization: `Bearer ${ACME_KEY}` },
    });
    const body = (await response.json()) as { data?: { requests: number }[] };
    return body.data?.reduce((n, r) => n + r.requests, 0) === SENT.length + 2 ? true : undefined;
  }, "the requests ingested");
  const thisHour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const from = new Date(thisHour - 5 * HOUR_MS).toISOString();
  const to = new Date(thisHour + HOUR_MS).toISOString();
  const rangeQuery = `from=${from}&to=${to}`;
  return { dataDir, stack, consoleUrl, promptId, rangeQuery };
}
