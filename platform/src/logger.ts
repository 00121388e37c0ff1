import { pino } from "pino";

/** The structured logger every service receives from main(); never log secrets through it. */
export type Logger = pino.Logger;

export function createLogger(options: { level: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    // Defence in depth: even if a header bag reaches a log call, credentials are masked.
    redact: {
      paths: [
        "*.authorization",
        "*.Authorization",
        '*["x-portkey-api-key"]',
        '*["x-api-key"]',
        "*.api_key",
        "*.apiKey",
      ],
      censor: "[redacted]",
    },
  });
}
