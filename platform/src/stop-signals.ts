import type { Logger } from "./logger.ts";

/**
 * A service's main(): runs `stop` once, on the first SIGINT or SIGTERM, then exits 0 (1 when it failed,
 * logged). What must hold: a repeated signal is logged and ignored — npm forwards the terminal's Ctrl-C
 * too, and a second signal must neither start a second shutdown nor kill the process mid-drain (Node's
 * default action once a `once` handler is spent), which would skip flushing the events.
 */
export function stopOnSignals(logger: Logger, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.info({ signal }, "already shutting down");
      return;
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
