import { type LogEntry, type logCreator, logLevel } from "kafkajs";
import type { Logger } from "../../logger.ts";

/**
 * Messages kafkajs logs at warn for settings we chose on purpose; logged at debug instead so
 * operators only see warnings that need action.
 */
const EXPECTED_WARNINGS = [
  // Retries are bounded so publish() fails fast and the caller spools; ingest dedups by event_id.
  "Limiting retries for the idempotent producer",
];

/** Routes kafkajs' own logging into our pino logger (configure kafkajs with logLevel WARN). */
export function kafkajsLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: "kafkajs" });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { namespace, ...fields };
      if (EXPECTED_WARNINGS.some((w) => message.startsWith(w))) kafkaLogger.debug(entry, message);
      else if (level === logLevel.ERROR) kafkaLogger.error(entry, message);
      else if (level === logLevel.WARN) kafkaLogger.warn(entry, message);
      else if (level === logLevel.INFO) kafkaLogger.info(entry, message);
      else kafkaLogger.debug(entry, message);
    };
}
