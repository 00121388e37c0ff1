import { readFileSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import { CONSOLE_DIST_DIR, consoleIndexPath } from "@switchyard/console";
import type { FastifyInstance, FastifyReply } from "fastify";

/** Where the console lives on the analytics API's port. */
export const CONSOLE_PATH = "/console/";

// The bundle loads only its own hashed script and stylesheet, and talks only to this origin and
// the gateway's (management pages). Inline styles: uPlot and the bar widths set style attributes.
function contentSecurityPolicy(gatewayOrigin: string | null): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    gatewayOrigin ? `connect-src 'self' ${gatewayOrigin}` : "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
}

function originOf(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchyard console</title></head>
<body><main><h1>The console is not built</h1><p>Its bundle is made by <code>npm ci</code> / <code>npm install</code>,
or by hand with <code>npm run build -w @switchyard/console</code>; then reload this page.</p></main></body></html>`;

export interface ConsoleRouteOptions {
  /** The built bundle (index.html + assets/); default: the console workspace's dist/. */
  distDir?: string;
  /** The gateway's public URL (its admin, prompt and limits APIs), served in /console/config.json. */
  gatewayUrl?: () => string | undefined;
}

function sendPage(reply: FastifyReply, html: string, gatewayOrigin: string | null, status = 200): FastifyReply {
  return reply
    .code(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("content-security-policy", contentSecurityPolicy(gatewayOrigin))
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("cache-control", "no-cache")
    .send(html);
}

/**
 * The built-in web console on the analytics API's port: hashed assets under /console/assets/
 * (cached for good), and the one HTML page for every console path (the app routes in the browser).
 * `/` redirects to it. The console reads the same API a script would, with the key the user enters.
 */
export function registerConsoleRoute(app: FastifyInstance, options: ConsoleRouteOptions = {}): void {
  const distDir = options.distDir ?? CONSOLE_DIST_DIR;
  const indexPath = consoleIndexPath(distDir);
  // Read once when the app is built: the page is small and changes only with a rebuild.
  const indexHtml = indexPath === null ? null : readFileSync(indexPath, "utf8");

  if (indexHtml !== null) {
    app.register(fastifyStatic, {
      root: join(distDir, "assets"),
      prefix: `${CONSOLE_PATH}assets/`,
      decorateReply: false,
      index: false,
      immutable: true,
      maxAge: "365d",
      dotfiles: "deny",
    });
  }

  const gatewayOrigin = () => originOf(options.gatewayUrl?.());
  const page = async (_request: unknown, reply: FastifyReply) =>
    indexHtml === null
      ? sendPage(reply, NOT_BUILT_PAGE, gatewayOrigin(), 503)
      : sendPage(reply, indexHtml, gatewayOrigin());
  // Where the management pages find the gateway (null: not known here, those pages say so).
  app.get(`${CONSOLE_PATH}config.json`, async (_request, reply) =>
    reply.header("cache-control", "no-cache").send({ gateway_url: gatewayOrigin() }),
  );
  app.get("/console", (_request, reply) => reply.redirect(CONSOLE_PATH, 302));
  app.get(CONSOLE_PATH, page);
  app.get(`${CONSOLE_PATH}*`, page);
  app.get("/", (_request, reply) => reply.redirect(CONSOLE_PATH, 302));
}
