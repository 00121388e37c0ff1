import type { ControlPlaneView, PromptState, PromptVersionState } from "@switchyard/platform";
import { GatewayError } from "../errors.ts";
import { resolvePartials, TemplateError } from "./template.ts";

/** What prompt resolution reads from the control plane: plain map lookups, no I/O. */
export type PromptLookup = Pick<ControlPlaneView, "promptState" | "promptVersion">;

/** `id` (published), `id@12`, `id@latest` (newest, even unpublished), `id@<label>`. */
export type PromptSelector =
  | { kind: "default" }
  | { kind: "version"; version: number }
  | { kind: "latest" }
  | { kind: "label"; label: string };

export interface PromptRef {
  id: string;
  selector: PromptSelector;
}

export interface ResolvedPrompt {
  prompt: PromptState;
  version: PromptVersionState;
  /** The label the call named (`id@staging`), else null. */
  label: string | null;
}

const REF = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127})(?:@([A-Za-z0-9_-]{1,64}))?$/;

export function parsePromptRef(raw: string, param: string): PromptRef {
  const match = REF.exec(raw);
  if (!match) {
    throw new GatewayError(
      "invalid_request",
      `${param} must be a prompt id, optionally with @<version>, @latest or @<label>; got ${JSON.stringify(raw.slice(0, 140))}`,
      param,
    );
  }
  const id = match[1]!;
  const after = match[2];
  if (after === undefined) return { id, selector: { kind: "default" } };
  if (after === "latest") return { id, selector: { kind: "latest" } };
  if (/^\d+$/.test(after)) return { id, selector: { kind: "version", version: Number(after) } };
  return { id, selector: { kind: "label", label: after } };
}

/** The prompt version a reference names in the tenant, or a 404 naming what is unknown. */
export function resolvePrompt(lookup: PromptLookup, tenantId: string, ref: PromptRef, param: string): ResolvedPrompt {
  const head = lookup.promptState(tenantId, ref.id)?.state;
  if (head?.kind !== "prompt") {
    throw new GatewayError("prompt_not_found", `prompt ${ref.id} does not exist`, param);
  }
  const number = versionNumber(head, ref.selector, param);
  const version = lookup.promptVersion(tenantId, ref.id, number);
  if (!version) throw new GatewayError("prompt_not_found", `prompt ${ref.id} has no version ${number}`, param);
  return { prompt: head, version, label: ref.selector.kind === "label" ? ref.selector.label : null };
}

function versionNumber(head: PromptState, selector: PromptSelector, param: string): number {
  switch (selector.kind) {
    case "default":
      return head.default_version;
    case "latest":
      return head.latest_version;
    case "version":
      return selector.version;
    case "label": {
      const version = head.labels[selector.label];
      if (version === undefined) {
        throw new GatewayError(
          "prompt_not_found",
          `prompt ${head.id} has no label ${selector.label} (labels: ${Object.keys(head.labels).join(", ") || "none"})`,
          param,
        );
      }
      return version;
    }
  }
}

/**
 * Every partial the templates reach, by the name they use (`pid`, `pid@5`, `pid@latest`), or a 400
 * naming the partial that is unknown, a label (partials take no labels) or part of a loop.
 */
export function partialsFor(
  lookup: PromptLookup,
  tenantId: string,
  templates: readonly string[],
): Record<string, string> {
  try {
    return resolvePartials(templates, (name) => {
      const match = REF.exec(name);
      if (!match) return undefined;
      const head = lookup.promptState(tenantId, match[1]!)?.state;
      if (head?.kind !== "partial") return undefined;
      const after = match[2];
      let number: number;
      if (after === undefined) number = head.default_version;
      else if (after === "latest") number = head.latest_version;
      else if (/^\d+$/.test(after)) number = Number(after);
      else throw new TemplateError("partial", `partial ${name}: partials take a version or @latest, not a label`, name);
      return lookup.promptVersion(tenantId, head.id, number)?.template;
    });
  } catch (error) {
    throw templateError(error);
  }
}

/** A TemplateError as the client's 400. */
export function templateError(error: unknown): unknown {
  if (!(error instanceof TemplateError)) return error;
  if (error.kind === "missing_variable") {
    return new GatewayError("missing_variable", error.message, `variables.${error.subject ?? ""}`);
  }
  return new GatewayError("invalid_template", error.message, "template");
}
