import { newEventId } from "@switchyard/events";
import type { EventBus } from "../bus/event-bus.ts";
import { ControlPlaneError } from "./control-errors.ts";
import { CONTROL_TOPIC, type ControlEvent, controlRecordKey, encodeControlEvent } from "./control-events.ts";
import type { ControlPlaneView, Sourced } from "./control-plane-view.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A control event before the writer stamps it with an id and a time. */
export type ControlEventDraft = DistributiveOmit<ControlEvent, "event_id" | "occurred_at" | "schema_version">;

export interface ControlWriterOptions {
  bus: EventBus;
  view: ControlPlaneView;
  topic?: string;
  /** How long a write waits to see its own events folded by the local view. Default 10 s. */
  foldTimeoutMs?: number;
  now?: () => Date;
}

/**
 * Appends control events and returns once they are durable on the control topic AND folded into
 * this replica's view, so an admin write is visible to the very next request (read-your-writes).
 * Writes from this process are serialised: a command reads the current version from the view
 * and appends version + 1 without racing another command of the same process. Two replicas
 * writing the same entity at once may both append the same version; every replica still folds
 * the same final state (last by offset wins).
 */
export class ControlWriter {
  readonly view: ControlPlaneView;
  private readonly bus: EventBus;
  private readonly topic: string;
  private readonly foldTimeoutMs: number;
  private readonly clock: () => Date;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: ControlWriterOptions) {
    this.bus = options.bus;
    this.view = options.view;
    this.topic = options.topic ?? CONTROL_TOPIC;
    this.foldTimeoutMs = options.foldTimeoutMs ?? 10_000;
    this.clock = options.now ?? (() => new Date());
  }

  now(): string {
    return this.clock().toISOString();
  }

  /** The version the next event for `recordKey` gets. */
  nextVersion(recordKey: string): number {
    return this.view.topicVersionOf(recordKey) + 1;
  }

  /** Runs `command` after every earlier command of this process has finished. */
  exclusive<T>(command: () => Promise<T>): Promise<T> {
    const run = this.tail.then(command, command);
    this.tail = run.catch(() => undefined);
    return run;
  }

  async append(drafts: readonly ControlEventDraft[]): Promise<void> {
    if (drafts.length === 0) return;
    const occurredAt = this.now();
    const events = drafts.map(
      (draft) => ({ ...draft, schema_version: 1, event_id: newEventId(), occurred_at: occurredAt }) as ControlEvent,
    );
    const records = events.map((event) => ({ key: controlRecordKey(event), value: encodeControlEvent(event) }));
    const { folded, cancel } = this.view.expectFolded(
      events.map((e) => e.event_id),
      this.foldTimeoutMs,
    );
    try {
      await this.bus.publish(this.topic, records);
    } catch (error) {
      cancel();
      throw new ControlPlaneError("unavailable", `could not append to the control topic: ${(error as Error).message}`);
    }
    try {
      await folded;
    } catch (error) {
      throw new ControlPlaneError("unavailable", (error as Error).message);
    }
  }
}

/** Admin writes change only what the control topic owns; file-declared ids are edited in the file. */
export function assertTopicOwned(entity: Sourced<unknown>, what: string): void {
  if (entity.source === "control_topic") return;
  const file =
    entity.source === "config_file" ? "the declarative config file (SWITCHYARD_CONFIG_FILE)" : "SWITCHYARD_KEYS_FILE";
  throw new ControlPlaneError("managed_by_file", `${what} is declared in ${file}; change it there`);
}
