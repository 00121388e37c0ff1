import { encodeEvent, LimitAlertEvent, type PriceOverride, Topics } from "@switchyard/events";
import { activeTelemetry, type ClickHouse, type ControlPlane, type Logger, Scopes } from "@switchyard/platform";
import type { EventQueue } from "../event-sink.ts";
import type { LimitsSettings } from "./limits-config.ts";
import { createLimits, type Limits } from "./limits-service.ts";
import { RedisLimitStore } from "./redis-limit-store.ts";

export interface GatewayLimitsDeps {
  settings: LimitsSettings;
  instance: string;
  logger: Logger;
  publisher: EventQueue;
  priceOverrides: readonly PriceOverride[];
  control: ControlPlane;
  clickhouse: ClickHouse | null;
}

/** The gateway's limits as startGateway composes them: policies from the control plane, alerts on the bus. */
export async function startGatewayLimits(deps: GatewayLimitsDeps): Promise<Limits> {
  const { logger } = deps;
  const limits = createLimits({
    settings: deps.settings,
    policies: deps.control.view,
    priceOverrides: deps.priceOverrides,
    logger,
    meter: activeTelemetry().meter(Scopes.gateway),
    gatewayInstance: deps.instance,
    clickhouse: deps.clickhouse,
    publishAlert: (event) => {
      try {
        void Promise.resolve(
          deps.publisher.enqueue(Topics.limitAlerts, {
            key: event.tenant_id,
            value: encodeEvent(LimitAlertEvent, event),
          }),
        ).catch((error: unknown) =>
          logger.warn({ err: (error as Error)?.message }, "limits: alert event not published"),
        );
      } catch (error) {
        logger.warn({ err: (error as Error)?.message }, "limits: alert event not published");
      }
    },
  });
  if (limits.store instanceof RedisLimitStore) {
    // Start-up waits a little for Redis; if it is down, requests follow the fail mode until it is back.
    await limits.store.ready(2000).catch((error: unknown) => {
      logger.warn(
        { err: (error as Error).message, failMode: deps.settings.failMode },
        "limits: Redis not reachable at start",
      );
    });
  }
  return limits;
}
