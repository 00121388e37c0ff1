import type { RequestEvent } from "@switchyard/events";
import { LRUCache } from "lru-cache";
import type { RequestEnd } from "./types.ts";

/**
 * The request's end, read off its finished RequestEvent (the event already holds every fact the span
 * and metrics need), plus what only the route has: the JSON response body, for response id and
 * finish reasons. In the route's close handler: build the event, `t.end(requestEndFromEvent(event))`,
 * then emit the event with `t.recordHeaders()`.
 */
export function requestEndFromEvent(
  event: RequestEvent,
  extra: Pick<RequestEnd, "responseBody" | "responseId" | "finishReasons" | "serverAddress" | "serverPort"> = {},
): RequestEnd {
  return {
    statusCode: event.status_code,
    errorType: event.error_type,
    provider: event.provider === "none" || event.attempts.length === 0 ? null : event.provider,
    responseModel: event.model_used,
    usage: event.usage,
    costNanoUsd: event.cost_nano_usd,
    cacheStatus: event.cache_status,
    tenantId: event.tenant_id,
    traceId: event.trace_id,
    targetPath: event.target_path,
    configId: event.config_id,
    retryCount: event.retry_count,
    ...extra,
  };
}

/**
 * server.address / server.port of an upstream base URL (a custom host or a provider's default).
 * Called for every attempt with one of a handful of URLs, so each URL is parsed once (LRU-bounded).
 */
const servers = new LRUCache<string, { serverAddress: string | null; serverPort: number | null }>({ max: 1000 });
const NO_SERVER = { serverAddress: null, serverPort: null };

export function upstreamServer(url: string | null | undefined): {
  serverAddress: string | null;
  serverPort: number | null;
} {
  if (!url) return NO_SERVER;
  let server = servers.get(url);
  if (server === undefined) {
    server = parseServer(url);
    servers.set(url, server);
  }
  return server;
}

function parseServer(url: string): { serverAddress: string | null; serverPort: number | null } {
  try {
    const u = new URL(url);
    const port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : u.protocol === "http:" ? 80 : null;
    return { serverAddress: u.hostname.replace(/^\[|\]$/g, ""), serverPort: port };
  } catch {
    return NO_SERVER;
  }
}
