import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import type { RunningStack } from "@switchyard/stack";
import OpenAI from "openai";
import { Portkey } from "portkey-ai";
import { expect } from "vitest";
import { getJson, pollUntil, startTestStack, tempDir } from "../e2e/support.ts";
import type { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import { AdminClient } from "./admin-client.ts";

/**
 * Shared pieces of the compatibility suite: a Switchyard stack started in this process, the
 * admin API client that seeds tenants / keys / virtual keys / saved configs through the control
 * plane, client factories for the unmodified `portkey-ai` and `openai` SDKs, and the analytics
 * trace lookup that shows what the gateway recorded.
 */

export const ADMIN_TOKEN = "sy-admin-compat-token-0123456789abcdef";
/** 32 random bytes, base64: the vault's AES-256-GCM master key for this test run. */
export const MASTER_KEY = randomBytes(32).toString("base64");

export interface CompatStack {
  stack: RunningStack;
  /** Gateway origin, e.g. http://127.0.0.1:40123 (SDKs get `${gatewayUrl}/v1`). */
  gatewayUrl: string;
  analyticsUrl: string | null;
  admin: AdminClient;
  stop(): Promise<void>;
}

/**
 * The stack as `npm start` would run it, configured by env: the gateway alone, or with ingest and
 * the analytics API when a test needs to read back the recorded events.
 */
export async function startCompatStack(
  options: { events?: boolean; env?: Record<string, string> } = {},
): Promise<CompatStack> {
  const dataDir = await tempDir("compat");
  const stack = await startTestStack({
    DATA_DIR: dataDir,
    SWITCHYARD_SERVICES: options.events ? "gateway,ingest,analytics" : "gateway",
    INGEST_FLUSH_INTERVAL_MS: "50",
    SWITCHYARD_ADMIN_TOKEN: ADMIN_TOKEN,
    SWITCHYARD_MASTER_KEY: MASTER_KEY,
    ...options.env,
  });
  const gatewayUrl = stack.gateway?.url;
  if (!gatewayUrl) throw new Error("the stack did not start a gateway");
  return {
    stack,
    gatewayUrl,
    analyticsUrl: stack.analytics?.url ?? null,
    admin: new AdminClient(gatewayUrl, ADMIN_TOKEN),
    async stop() {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

let keySequence = 0;
/**
 * A leaf config target that sends to a fake upstream with a provider key of its own. Each call
 * makes a new key: circuit breakers are per upstream identity (provider, host, key), so tests
 * that fail an upstream on purpose never trip a breaker another test relies on.
 */
export function fakeTarget(upstream: FakeOpenAIUpstream, extra: Record<string, unknown> = {}) {
  const api_key = `sk-${upstream.name}-key-${process.pid}-${++keySequence}`;
  return { provider: "openai", api_key, custom_host: upstream.baseUrl, ...extra };
}

/** A conditional-routing rule; `then` names a target (Portkey's key, which biome mistakes for a thenable). */
export function condition(query: Record<string, unknown>, target: string): Record<string, unknown> {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the config key Portkey clients send.
  return { query, then: target };
}

export interface PortkeyOptions {
  config?: Record<string, unknown> | string;
  virtualKey?: string;
  provider?: string;
  customHost?: string;
  Authorization?: string;
  apiKey?: string;
  traceID?: string;
  metadata?: Record<string, unknown>;
  requestTimeout?: number;
  forwardHeaders?: string[];
}

/** The unmodified portkey-ai SDK pointed at the gateway; only the base URL differs from Portkey cloud use. */
export function portkeyClient(gatewayUrl: string, options: PortkeyOptions = {}): Portkey {
  return new Portkey({ baseURL: `${gatewayUrl}/v1`, ...options });
}

/** The unmodified openai SDK with Portkey headers, as Portkey's docs show it. */
export function openaiClient(gatewayUrl: string, apiKey: string, portkeyHeaders: Record<string, string>): OpenAI {
  return new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey, defaultHeaders: portkeyHeaders, maxRetries: 0 });
}

export const HELLO = "Hello from the fake upstream.";
export const chatParams = (content = "Say hello") => ({
  model: "gpt-4o-mini",
  messages: [{ role: "user" as const, content }],
});

/** What the gateway sent back: the portkey SDK exposes x-portkey-* headers without their prefix. */
export interface PortkeyHeaders {
  "trace-id"?: string;
  "retry-attempt-count"?: string;
  "last-used-option-index"?: string;
  provider?: string;
  "cache-status"?: string;
}

export function portkeyHeadersOf(response: unknown): PortkeyHeaders {
  const getHeaders = (response as { getHeaders?: () => PortkeyHeaders | null }).getHeaders;
  expect(getHeaders, "portkey SDK response carries getHeaders()").toBeTypeOf("function");
  return getHeaders?.() ?? {};
}

/** An SDK error as both SDKs raise it: the HTTP status and the OpenAI-style error object. */
export interface ClientError {
  status: number | undefined;
  error: { message?: string; type?: string; param?: string | null; code?: string | null };
}

/** Awaits a call that must fail and returns its status and OpenAI error object (portkey or openai SDK). */
export async function failureOf(call: Promise<unknown>): Promise<ClientError> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (error) {
    const e = error as { status?: number; error?: Record<string, unknown> };
    // portkey-ai keeps the whole body ({"error": {...}}); openai keeps body.error.
    const inner = (e.error?.error ?? e.error ?? {}) as ClientError["error"];
    return { status: e.status, error: inner };
  }
  throw new Error(`expected the call to fail, it returned ${JSON.stringify(outcome).slice(0, 300)}`);
}

/**
 * Bounds a call the gateway is expected to end by itself (e.g. a 408 on a stalled upstream), so
 * a gateway that never ends it fails the test in `ms` instead of hanging until the test timeout.
 */
export function within<T>(ms: number, call: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
}

/** Raw POST to the gateway for the cases no SDK can send (e.g. a malformed header value). */
export async function postChat(
  gatewayUrl: string,
  headers: Record<string, string>,
  body: Record<string, unknown> = chatParams(),
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export interface TracedAttempt {
  provider: string;
  model: string;
  status_code: number;
  latency_ms: number;
  error_type: string | null;
  target_path: string;
}

export interface TracedRequest {
  trace_id: string;
  tenant_id: string;
  api_key_id: string | null;
  virtual_key_id: string | null;
  config_id: string | null;
  provider: string;
  target_path: string | null;
  metadata: Record<string, string>;
  user: string | null;
  status_code: number;
  error_type: string | null;
  retry_count: number;
  attempts: TracedAttempt[];
  [key: string]: unknown;
}

/** Polls the analytics trace lookup until the trace has `count` requests (events are asynchronous). */
export function traceOf(analyticsUrl: string | null, traceId: string, count = 1): Promise<TracedRequest[]> {
  if (!analyticsUrl) throw new Error("this stack runs without the analytics API");
  return pollUntil(
    async () => {
      const { status, body } = await getJson<{ requests?: TracedRequest[] }>(
        `${analyticsUrl}/v1/traces/${encodeURIComponent(traceId)}`,
      );
      return status === 200 && (body.requests?.length ?? 0) >= count ? body.requests : undefined;
    },
    `trace ${traceId} in analytics`,
    30_000,
  );
}

let sequence = 0;
/** A trace id unique to this run, so reruns against a kept data dir never mix. */
export const traceId = (label: string) => `compat-${label}-${process.pid}-${Date.now().toString(36)}-${++sequence}`;

/** Runs `count` async jobs, at most `width` at a time. */
export async function inWaves<T>(count: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      results[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  return results;
}

export { AdminClient, type AdminResponse } from "./admin-client.ts";
