import { createHash } from "node:crypto";
import { type FSWatcher, watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { Logger } from "../logger.ts";
import type { ControlPlaneView } from "./control-plane-view.ts";
import { type DeclarativeFileOptions, parseDeclarativeFile } from "./declarative-file.ts";

export interface DeclarativeFileStatus {
  path: string;
  /** Successful loads so far (1 after start). */
  generation: number;
  loadedAt: string | null;
  /** The last reload's problems, one line per failing field; null once a reload succeeds. */
  lastError: string[] | null;
}

export interface DeclarativeFileWatcherOptions extends DeclarativeFileOptions {
  path: string;
  view: ControlPlaneView;
  logger: Logger;
  /** Quiet period after the last change event before re-reading (editors write in bursts). Default 150 ms. */
  debounceMs?: number;
}

/**
 * Keeps the view's file layer in step with SWITCHYARD_CONFIG_FILE. It watches the *directory*:
 * editors and Kubernetes ConfigMaps replace the file (rename / symlink swap), which a watch on
 * the file itself would miss. Any change re-reads the file; identical content is skipped; an
 * invalid file keeps the previous state and logs every failing field.
 */
export class DeclarativeFileWatcher {
  private readonly options: DeclarativeFileWatcherOptions;
  private watcher: FSWatcher | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private contentHash: string | null = null;
  private running: Promise<void> = Promise.resolve();
  private state: DeclarativeFileStatus;

  private constructor(options: DeclarativeFileWatcherOptions) {
    this.options = { ...options, path: resolve(options.path) };
    this.state = { path: this.options.path, generation: 0, loadedAt: null, lastError: null };
  }

  /** Loads the file (an invalid file fails the start: nothing to fall back to) and starts watching. */
  static async start(options: DeclarativeFileWatcherOptions): Promise<DeclarativeFileWatcher> {
    const watcher = new DeclarativeFileWatcher(options);
    await watcher.reload();
    if (watcher.state.generation === 0) {
      const problems = watcher.state.lastError ?? [];
      throw new Error(`invalid control-plane file ${watcher.state.path}:\n  ${problems.join("\n  ")}`);
    }
    watcher.watch();
    return watcher;
  }

  status(): DeclarativeFileStatus {
    return { ...this.state };
  }

  /** Re-reads the file now (also what a change triggers); reloads never overlap. */
  reload(): Promise<void> {
    // A failed reload must not stop the next one: each starts after the last, however it ended.
    const run = this.running.catch(() => undefined).then(() => this.load());
    this.running = run;
    return run;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = null;
  }

  private watch(): void {
    const file = basename(this.options.path);
    this.watcher = watch(dirname(this.options.path), { persistent: false }, (_event, name) => {
      // ConfigMap updates swap a `..data` symlink, not the file: react to anything but our own temp files.
      if (name !== null && name !== file && !name.startsWith("..")) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.reload().catch((error: unknown) => {
          this.options.logger.error({ err: error, path: this.options.path }, "control-plane file: reload failed");
        });
      }, this.options.debounceMs ?? 150);
    });
    this.watcher.on("error", (error) => {
      this.options.logger.error({ err: error, path: this.options.path }, "control-plane file: watch failed");
    });
  }

  private async load(): Promise<void> {
    const { path, logger } = this.options;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      return this.fail([`cannot read ${path}: ${(error as Error).message}`]);
    }
    const hash = createHash("sha256").update(text).digest("hex");
    if (hash === this.contentHash) return;
    const result = parseDeclarativeFile(text, this.options);
    if (!result.ok) return this.fail(result.errors);
    this.contentHash = hash;
    this.options.view.replaceFileLayer(result.layer);
    for (const warning of result.warnings) logger.warn({ path }, `control-plane file: ${warning}`);
    this.state = { path, generation: this.state.generation + 1, loadedAt: new Date().toISOString(), lastError: null };
    logger.info(
      {
        path,
        generation: this.state.generation,
        tenants: result.layer.tenants.size,
        apiKeys: result.layer.apiKeys.size,
        virtualKeys: result.layer.virtualKeys.size,
        savedConfigs: result.layer.savedConfigs.size,
      },
      "control-plane file loaded",
    );
  }

  private fail(errors: string[]): void {
    this.state = { ...this.state, lastError: errors };
    if (this.state.generation > 0) {
      // Only messages with field paths: the loader never puts secret values into them.
      this.options.logger.error(
        { path: this.options.path, errors },
        "control-plane file is invalid; keeping the previously loaded state",
      );
    }
  }
}
