import { defineConfig } from "vite";

// The console is served by the analytics API under /console/ (analytics-api/src/console-route.ts),
// from dist/, which `npm ci` (this workspace's prepare script) or `npm run build -w @switchyard/console` fills.
export default defineConfig({
  root: import.meta.dirname,
  base: "/console/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One small app: no source maps shipped, a modern browser baseline.
    target: "es2022",
    sourcemap: false,
  },
  logLevel: "warn",
});
