import type { FastifyInstance } from "fastify";

export interface HealthProbe {
  /** Event pipeline state, e.g. queue depth and spooled records; degraded never fails health. */
  events(): object;
}

export function registerHealth(app: FastifyInstance, probe: HealthProbe): void {
  app.get("/health", async () => ({ status: "ok", service: "gateway", events: probe.events() }));
}
