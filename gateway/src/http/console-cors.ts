import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

/**
 * Lets the built-in web console (served by the analytics API, another origin) call this gateway's
 * admin, prompt and limits APIs from the browser. Only the one configured origin is allowed
 * (SWITCHYARD_CONSOLE_ORIGIN; the one-process stack sets it to the analytics API's origin); no
 * cookies are involved (credentials: false): every call carries its key in a header.
 */
export function registerConsoleCors(app: FastifyInstance, consoleOrigin: string | undefined): void {
  if (consoleOrigin === undefined) return;
  app.register(cors, {
    origin: consoleOrigin,
    methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    // x-portkey-virtual-key: the playground runs a saved prompt version through another virtual key.
    allowedHeaders: [
      "authorization",
      "content-type",
      "x-portkey-api-key",
      "x-portkey-provider",
      "x-portkey-virtual-key",
      "x-portkey-metadata",
    ],
    // The playground links a run to its request (trace id) to show what it cost.
    exposedHeaders: ["x-portkey-trace-id", "x-portkey-cache-status"],
    credentials: false,
    maxAge: 600,
  });
}
