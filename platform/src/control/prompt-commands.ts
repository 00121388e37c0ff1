import { randomBytes } from "node:crypto";
import { ControlPlaneError } from "./control-errors.ts";
import { promptRecordKey, promptVersionRecordKey } from "./control-events.ts";
import type { ControlPlaneView } from "./control-plane-view.ts";
import { assertTopicOwned, type ControlEventDraft, type ControlWriter } from "./control-writer.ts";
import {
  PROMPT_LABELS_MAX,
  PROMPT_VERSIONS_MAX,
  PROMPTS_PER_TENANT_MAX,
  type PromptKind,
  type PromptState,
  type PromptVersionState,
} from "./prompt-entities.ts";

/** A version's content as a writer gives it (checked by the caller: template parses, model params are sane). */
export interface PromptVersionInput {
  template: string;
  format: "chat" | "text";
  model?: string | undefined;
  parameters?: Record<string, unknown> | undefined;
  virtual_key?: string | undefined;
  config_id?: string | undefined;
  description?: string | undefined;
}

export interface NewPrompt {
  /** Default: `pp-<10 hex>` for prompts, `pl-<10 hex>` for partials. */
  id?: string | undefined;
  kind: PromptKind;
  name: string;
  version: PromptVersionInput;
}

/**
 * Prompts and partials: create (version 1, published), add immutable versions, publish one as
 * the default, move labels, delete. Every command appends control events and returns once this
 * replica folded them, like the other entities' commands.
 */
export class PromptCommands {
  private readonly writer: ControlWriter;

  constructor(writer: ControlWriter) {
    this.writer = writer;
  }

  create(tenantId: string, input: NewPrompt): Promise<{ prompt: PromptState; version: PromptVersionState }> {
    return this.writer.exclusive(async () => {
      // No tenant check: the caller's API key proves its tenant (open local-dev mode's default
      // tenant and keys-file tenants are never tenant entities).
      const prefix = input.kind === "prompt" ? "pp" : "pl";
      const id = input.id ?? `${prefix}-${randomBytes(5).toString("hex")}`;
      if (this.writer.view.promptState(tenantId, id)) {
        throw new ControlPlaneError("conflict", `tenant ${tenantId} already has a prompt or partial ${id}`, "id");
      }
      if (this.writer.view.prompts(tenantId).length >= PROMPTS_PER_TENANT_MAX) {
        throw new ControlPlaneError("invalid", `a tenant has at most ${PROMPTS_PER_TENANT_MAX} prompts and partials`);
      }
      const now = this.writer.now();
      const version = versionState(tenantId, id, 1, input.version, now);
      const prompt: PromptState = {
        id,
        tenant_id: tenantId,
        kind: input.kind,
        name: input.name,
        default_version: 1,
        latest_version: 1,
        labels: {},
        version: this.writer.nextVersion(promptRecordKey(tenantId, id)),
        created_at: now,
        updated_at: now,
      };
      await this.writer.append([
        { type: "prompt_version.added", prompt_version: version },
        { type: "prompt.upserted", prompt },
      ]);
      return { prompt, version };
    });
  }

  /** Adds version latest+1 (omitted fields are the latest version's); `name` renames the prompt. */
  addVersion(
    tenantId: string,
    id: string,
    input: Partial<PromptVersionInput> & { name?: string | undefined },
  ): Promise<{ prompt: PromptState; version: PromptVersionState | null }> {
    return this.writer.exclusive(async () => {
      const current = this.requireWritable(tenantId, id);
      const { name, ...fields } = input;
      const changesContent = Object.values(fields).some((v) => v !== undefined);
      const now = this.writer.now();
      const drafts: ControlEventDraft[] = [];
      let version: PromptVersionState | null = null;
      let latest = current.latest_version;
      if (changesContent) {
        if (latest >= PROMPT_VERSIONS_MAX) {
          throw new ControlPlaneError("invalid", `prompt ${id} has the maximum of ${PROMPT_VERSIONS_MAX} versions`);
        }
        const base = this.writer.view.promptVersion(tenantId, id, latest);
        const merged: PromptVersionInput = {
          template: fields.template ?? base?.template ?? "",
          format: fields.format ?? base?.format ?? "text",
          model: fields.model ?? base?.model,
          parameters: fields.parameters ?? base?.parameters,
          virtual_key: fields.virtual_key ?? base?.virtual_key,
          config_id: fields.config_id ?? base?.config_id,
          description: fields.description,
        };
        latest += 1;
        version = versionState(tenantId, id, latest, merged, now);
        drafts.push({ type: "prompt_version.added", prompt_version: version });
      }
      const prompt: PromptState = {
        ...current,
        name: name ?? current.name,
        latest_version: latest,
        version: this.writer.nextVersion(promptRecordKey(tenantId, id)),
        updated_at: now,
      };
      drafts.push({ type: "prompt.upserted", prompt });
      await this.writer.append(drafts);
      return { prompt, version };
    });
  }

  /** Publishes `version`: what the bare id resolves to from now on. */
  makeDefault(tenantId: string, id: string, version: number): Promise<PromptState> {
    return this.updateHead(tenantId, id, version, (head) => ({ ...head, default_version: version }));
  }

  /** Points `label` at `version` (a label names one version at a time). */
  setLabel(tenantId: string, id: string, version: number, label: string): Promise<PromptState> {
    return this.updateHead(tenantId, id, version, (head) => {
      const labels = { ...head.labels, [label]: version };
      if (Object.keys(labels).length > PROMPT_LABELS_MAX) {
        throw new ControlPlaneError("invalid", `a prompt has at most ${PROMPT_LABELS_MAX} labels`, "label_id");
      }
      return { ...head, labels };
    });
  }

  /** Deletes the prompt and every version (one event each, so compaction cannot resurrect a version). */
  delete(tenantId: string, id: string): Promise<void> {
    return this.writer.exclusive(async () => {
      this.requireWritable(tenantId, id);
      await this.writer.append(promptDeletionDrafts(this.writer, tenantId, id));
    });
  }

  private updateHead(
    tenantId: string,
    id: string,
    version: number,
    change: (head: PromptState) => PromptState,
  ): Promise<PromptState> {
    return this.writer.exclusive(async () => {
      const current = this.requireWritable(tenantId, id);
      if (!this.writer.view.promptVersion(tenantId, id, version)) {
        throw new ControlPlaneError("prompt_not_found", `prompt ${id} has no version ${version}`, "version");
      }
      const prompt: PromptState = {
        ...change(current),
        version: this.writer.nextVersion(promptRecordKey(tenantId, id)),
        updated_at: this.writer.now(),
      };
      await this.writer.append([{ type: "prompt.upserted", prompt }]);
      return prompt;
    });
  }

  private requireWritable(tenantId: string, id: string): PromptState {
    const current = this.writer.view.promptState(tenantId, id);
    if (!current) throw new ControlPlaneError("prompt_not_found", `tenant ${tenantId} has no prompt or partial ${id}`);
    assertTopicOwned(current, `prompt ${id}`);
    return current.state;
  }
}

/** The events that delete a topic-owned prompt with its versions (also used when a tenant is deleted). */
export function promptDeletionDrafts(writer: ControlWriter, tenantId: string, id: string): ControlEventDraft[] {
  const view: ControlPlaneView = writer.view;
  const drafts: ControlEventDraft[] = view.promptVersions(tenantId, id).map((v) => ({
    type: "prompt_version.deleted",
    tenant_id: tenantId,
    prompt_id: id,
    prompt_version: v.version,
    version: writer.nextVersion(promptVersionRecordKey(tenantId, id, v.version)),
  }));
  drafts.push({
    type: "prompt.deleted",
    tenant_id: tenantId,
    prompt_id: id,
    version: writer.nextVersion(promptRecordKey(tenantId, id)),
  });
  return drafts;
}

function versionState(
  tenantId: string,
  promptId: string,
  version: number,
  input: PromptVersionInput,
  now: string,
): PromptVersionState {
  return {
    tenant_id: tenantId,
    prompt_id: promptId,
    version,
    template: input.template,
    format: input.format,
    ...(input.model !== undefined ? { model: input.model } : {}),
    parameters: input.parameters ?? {},
    ...(input.virtual_key !== undefined ? { virtual_key: input.virtual_key } : {}),
    ...(input.config_id !== undefined ? { config_id: input.config_id } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    created_at: now,
  };
}
