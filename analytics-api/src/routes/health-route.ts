import type { ClickHouse } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";

/** Liveness plus a ClickHouse round trip; no auth, so load balancers and compose healthchecks can call it. */
export function registerHealthRoute(app: FastifyInstance, clickhouse: ClickHouse): void {
  app.get("/health", async (_request, reply) => {
    const ping = await clickhouse.client.ping();
    if (!ping.success) {
      reply.code(503);
      return { status: "degraded", clickhouse: { kind: clickhouse.kind, ok: false } };
    }
    return { status: "ok", clickhouse: { kind: clickhouse.kind, ok: true } };
  });
}
