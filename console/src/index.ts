import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where `vite build` writes the console's static bundle (index.html + hashed assets/). */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL("../dist", import.meta.url));

/** The console's entry page, or null when the bundle has not been built (`npm run build -w @switchyard/console`). */
export function consoleIndexPath(dir: string = CONSOLE_DIST_DIR): string | null {
  const index = join(dir, "index.html");
  return existsSync(index) ? index : null;
}
