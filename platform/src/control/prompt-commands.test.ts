import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyStore } from "../auth/keys.ts";
import { EmbeddedEventBus } from "../bus/embedded/embedded-event-bus.ts";
import type { EventBus, OutgoingRecord } from "../bus/event-bus.ts";
import { quietLogger, tempDir, waitFor } from "../bus/test-support.ts";
import { type ControlEvent, decodeControlEvent } from "./control-events.ts";
import { ControlState } from "./control-state.ts";
import { parseDeclarativeFile } from "./declarative-file.ts";
import { type ControlPlane, startControlPlane } from "./start-control-plane.ts";

/**
 * Prompt commands on a real control topic (embedded log): versions are immutable entities,
 * labels and the default live on the head, deletion removes every version — and folding only
 * the last event per record key (what compaction keeps) gives the same prompts as the whole
 * history, even after a prompt is deleted and re-created with fewer versions.
 */
let dir: { path: string; remove: () => Promise<void> };
let bus: EmbeddedEventBus;
let control: ControlPlane;
const published: OutgoingRecord[] = [];

beforeAll(async () => {
  dir = await tempDir("prompt-commands");
  bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
  // The real bus, with every control record also kept here to fold again.
  const recording = new Proxy(bus, {
    get(target, prop) {
      if (prop === "publish") {
        return (topic: string, records: readonly OutgoingRecord[]) => {
          published.push(...records);
          return target.publish(topic, records);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as EventBus;
  control = await startControlPlane({
    bus: recording,
    logger: quietLogger,
    keys: new KeyStore([], "default"),
    vault: null,
    replicaId: "prompt-test",
    topic: "create",
  });
});
afterAll(async () => {
  await control?.stop();
  await bus?.close();
  await dir?.remove();
});

const version = (template: string) => ({
  template,
  format: "text" as const,
  model: "m",
  parameters: { temperature: 0 },
});

function fold(records: readonly OutgoingRecord[]): ControlState {
  const state = new ControlState();
  for (const record of records) {
    const decoded = decodeControlEvent(record.value as Buffer);
    if (!decoded.ok) throw new Error(decoded.reason);
    state.apply(decoded.value as ControlEvent);
  }
  return state;
}

/** The last record per key, in the order of those last records (what a compacted log keeps). */
function compacted(records: readonly OutgoingRecord[]): OutgoingRecord[] {
  const last = new Map<string, number>();
  records.forEach((r, i) => {
    last.set(String(r.key), i);
  });
  return records.filter((r, i) => last.get(String(r.key)) === i);
}

const promptsOf = (state: ControlState) => ({
  prompts: Object.fromEntries(state.prompts),
  versions: Object.fromEntries([...state.promptVersions].map(([k, v]) => [k, [...v.keys()].sort()])),
});

describe("prompt commands", () => {
  it("versions, labels, publishes and deletes; compaction folds to the same prompts", async () => {
    const commands = control.commands!.prompts;
    const view = control.view;
    const { prompt } = await commands.create("acme", {
      id: "greet",
      kind: "prompt",
      name: "Greet",
      version: version("v1"),
    });
    expect(prompt).toMatchObject({ default_version: 1, latest_version: 1, labels: {} });
    await commands.addVersion("acme", "greet", { template: "v2" });
    await commands.addVersion("acme", "greet", { name: "Greeter" }); // a rename, no new version
    await commands.setLabel("acme", "greet", 1, "staging");
    await commands.makeDefault("acme", "greet", 2);
    expect(view.promptState("acme", "greet")?.state).toMatchObject({
      name: "Greeter",
      default_version: 2,
      latest_version: 2,
      labels: { staging: 1 },
    });
    // Omitted fields come from the latest version; versions are never rewritten.
    expect(view.promptVersion("acme", "greet", 2)).toMatchObject({
      template: "v2",
      model: "m",
      parameters: { temperature: 0 },
    });
    expect(view.promptVersion("acme", "greet", 1)?.template).toBe("v1");
    await expect(commands.makeDefault("acme", "greet", 9)).rejects.toMatchObject({ code: "prompt_not_found" });
    await expect(
      commands.create("acme", { id: "greet", kind: "prompt", name: "x", version: version("x") }),
    ).rejects.toMatchObject({
      code: "conflict",
    });

    // Delete with two versions, re-create with one: version 2 must not come back from the log.
    await commands.delete("acme", "greet");
    expect(view.promptState("acme", "greet")).toBeUndefined();
    expect(view.promptVersions("acme", "greet")).toEqual([]);
    await commands.create("acme", { id: "greet", kind: "prompt", name: "Again", version: version("again") });
    await commands.create("other", { id: "greet", kind: "partial", name: "Other tenant", version: version("p") });
    expect(view.promptVersions("acme", "greet").map((v) => v.template)).toEqual(["again"]);
    expect(view.promptState("other", "greet")?.state.kind).toBe("partial");

    const whole = promptsOf(fold(published));
    expect(promptsOf(fold(compacted(published)))).toEqual(whole);
    expect(whole.versions).toEqual({ "acme:greet": [1], "other:greet": [1] });
  });
});

describe("prompts on another replica", () => {
  it("a new version and a label reach a second replica's view within a second", async () => {
    const other = await startControlPlane({
      bus,
      logger: quietLogger,
      keys: new KeyStore([], "default"),
      vault: null,
      replicaId: "prompt-test-replica-2",
      topic: "create",
    });
    try {
      const commands = control.commands!.prompts;
      await commands.create("acme", { id: "live", kind: "prompt", name: "Live", version: version("one") });
      await commands.addVersion("acme", "live", { template: "two" });
      const written = performance.now();
      await commands.setLabel("acme", "live", 2, "production");
      await waitFor(
        "the label on the other replica",
        () => other.view.promptState("acme", "live")?.state.labels.production === 2,
      );
      expect(performance.now() - written).toBeLessThan(1_000);
      expect(other.view.promptVersion("acme", "live", 2)?.template).toBe("two");
    } finally {
      await other.stop();
    }
  });
});

describe("prompts in the declarative file", () => {
  it("loads versions in order, the default and labels, and names a template problem by path", () => {
    const file = `
version: 1
tenants:
  - id: acme
    prompts:
      - id: support
        name: Support
        versions:
          - template: '[{"role":"user","content":"Hi {{name}}"}]'
            model: gpt-4o-mini
          - template: 'Plain {{name}}'
        default_version: 1
        labels: { staging: 2 }
`;
    const validate = (_format: string, template: string) => (template.includes("{{#") ? "unclosed section" : null);
    const result = parseDeclarativeFile(file, {
      env: {},
      vault: null,
      virtualKeys: "skip",
      validatePromptTemplate: validate,
    });
    if (!result.ok) throw new Error(result.errors.join("\n"));
    const head = result.layer.prompts.get("acme:support");
    expect(head).toMatchObject({ kind: "prompt", default_version: 1, latest_version: 2, labels: { staging: 2 } });
    const versions = result.layer.promptVersions.get("acme:support")!;
    expect([versions.get(1)?.format, versions.get(2)?.format]).toEqual(["chat", "text"]);

    const bad = parseDeclarativeFile(
      file.replace("Plain {{name}}", "{{#open}}").replace("default_version: 1", "default_version: 3"),
      {
        env: {},
        vault: null,
        virtualKeys: "skip",
        validatePromptTemplate: validate,
      },
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.join("\n")).toContain("tenants[0].prompts[0].default_version");
    const badTemplate = parseDeclarativeFile(file.replace("Plain {{name}}", "{{#open}}"), {
      env: {},
      vault: null,
      virtualKeys: "skip",
      validatePromptTemplate: validate,
    });
    expect(badTemplate.ok ? [] : badTemplate.errors).toEqual([
      "tenants[0].prompts[0].versions[1].template: unclosed section",
    ]);
  });
});
