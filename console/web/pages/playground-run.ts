import { ApiProblem, apiGet } from "../api.ts";
import { formatInt, formatUsd, h, mount } from "../dom.ts";
import { endpoints } from "../endpoints.ts";
import { gatewayCall } from "../gateway.ts";
import type { TraceAnswer } from "../types.ts";
import { problemView } from "../ui.ts";

/** A saved version as GET /v1/prompts/{id}/versions lists it. */
export interface PromptVersion {
  prompt_version: number;
  string: string;
  template_format: "chat" | "text";
  model: string | null;
  parameters: Record<string, unknown>;
  virtual_key: string | null;
  config: string | null;
  labels: string[];
  is_default: boolean;
}

interface ChatAnswer {
  choices?: { message?: { content?: unknown } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** What the Run button sends: a saved version as is, or the edited template unsaved. */
export type RunTarget =
  | {
      kind: "saved";
      promptId: string;
      version: number;
      /** Another virtual key than the version's routes this run (the request still names the version). */
      virtualKey: string | null;
    }
  | {
      kind: "draft";
      base: PromptVersion | null;
      template: string;
      parameters: Record<string, unknown>;
      /** The virtual key that routes it ("" for none): the version's, or another chosen for this run. */
      virtualKey: string;
      /** The saved config (pc-…) that routes it instead ("" for none), as edited. */
      config: string;
    };

/** `{{ name }}` (and `{{#name}}` sections) in a template, each name once, in order of appearance. */
export function variablesOf(template: string): string[] {
  const names = [...template.matchAll(/\{\{\s*[#^/]?\s*([A-Za-z_][\w.-]{0,127})\s*\}\}/g)].map((m) => m[1]!);
  return [...new Set(names)];
}

/**
 * How long the cost is waited for: ingest records a request within a second or two, far longer
 * on a busy machine; the page says it is waiting meanwhile, and where to look after.
 */
const COST_WAIT_MS = 30_000;

/** The request's cost once ingest has recorded it (its trace id), or null after COST_WAIT_MS. */
async function costOf(traceId: string): Promise<number | null> {
  const deadline = Date.now() + COST_WAIT_MS;
  while (Date.now() < deadline) {
    try {
      const trace = await apiGet<TraceAnswer>(endpoints.trace(traceId));
      if (trace.requests.length > 0) return trace.requests.reduce((n, r) => n + r.cost_nano_usd, 0) / 1e9;
    } catch (error) {
      if (!(error instanceof ApiProblem) || error.kind !== "not_found") return null;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return null;
}

/**
 * The unsaved version POST /v1/prompts/completions runs: the saved version's format with the edited
 * template, parameters, virtual key and config, so the edit runs as it would once saved.
 */
function draftOf(target: Extract<RunTarget, { kind: "draft" }>): Record<string, unknown> {
  const { base, template, parameters, virtualKey, config } = target;
  return {
    string: template,
    ...(base?.template_format ? { template_format: base.template_format } : {}),
    ...(base?.model ? { model: base.model } : {}),
    ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
    ...(virtualKey ? { virtual_key: virtualKey } : {}),
    ...(config ? { config } : {}),
  };
}

/**
 * Runs the prompt on the gateway (recorded like any request) and shows the answer, the latency as
 * the browser saw it, the tokens, and the cost read back from the analytics API by the trace id.
 */
export async function runInto(
  result: HTMLElement,
  target: RunTarget,
  call: { variables: Record<string, string>; model: string; provider: string },
): Promise<void> {
  mount(result, h("p", { class: "loading", role: "status" }, "Running…"));
  try {
    const overrides = {
      variables: call.variables,
      ...(call.model ? { model: call.model } : {}),
    };
    const headers: Record<string, string> = call.provider ? { "x-portkey-provider": call.provider } : {};
    if (target.kind === "saved" && target.virtualKey) headers["x-portkey-virtual-key"] = target.virtualKey;
    const options = { as: "key" as const, headers };
    const answer =
      target.kind === "saved"
        ? await gatewayCall<ChatAnswer>(
            "POST",
            `/v1/prompts/${encodeURIComponent(`${target.promptId}@${target.version}`)}/completions`,
            { ...options, body: overrides },
          )
        : await gatewayCall<ChatAnswer>("POST", "/v1/prompts/completions", {
            ...options,
            body: { prompt: draftOf(target), ...overrides },
          });
    const content = answer.body.choices?.[0]?.message?.content;
    const cost = h("dd", { id: "pg-cost" }, "waiting for the request to be recorded…");
    mount(
      result,
      h(
        "p",
        { class: "note", id: "pg-ran" },
        target.kind === "draft"
          ? "Ran your edit, unsaved: save it as a new version to keep it."
          : target.virtualKey
            ? `Ran v${target.version} as saved, through virtual key ${target.virtualKey}.`
            : `Ran v${target.version} as saved.`,
      ),
      h("h2", null, "Answer"),
      h("pre", { class: "code", id: "pg-answer" }, typeof content === "string" ? content : JSON.stringify(content)),
      h(
        "dl",
        { class: "facts" },
        h("dt", null, "Latency"),
        h("dd", { id: "pg-latency" }, `${formatInt(Math.round(answer.ms))} ms`),
        h("dt", null, "Tokens in / out"),
        h("dd", null, `${answer.body.usage?.prompt_tokens ?? "–"} / ${answer.body.usage?.completion_tokens ?? "–"}`),
        h("dt", null, "Cost"),
        cost,
      ),
    );
    const traceId = answer.headers.get("x-portkey-trace-id");
    const usd = traceId ? await costOf(traceId) : null;
    cost.textContent = usd === null ? "not recorded yet (see the request log)" : formatUsd(usd);
  } catch (error) {
    mount(result, problemView(error, "gateway"));
  }
}
